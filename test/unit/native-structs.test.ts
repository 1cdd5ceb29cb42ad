// The option tables against the native structs the binding copies them into
// (through each struct's JSON field list, NLOHMANN_DEFINE_TYPE_..._WITH_DEFAULT):
// an option added on one side only is caught here, without compiling.
import * as fs from 'fs';
import * as path from 'path';
import { DATASET_TYPES } from '../../lib/data';
import { declared } from '../helpers/wire-declarations';
import { adamwOptionTable, distributedOptionTable, modelOptionTable, predictOptionTable, scheduleOptionTable, sgdOptionTable, shardOptionTable, trainOptionTable } from '../../lib/options';

const root = path.join(__dirname, '..', '..');
const read = (file: string): string => fs.readFileSync(path.join(root, file), 'utf8');

/** The field names listed for `struct` in a header's NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT. */
function jsonFields(header: string, struct: string): string[] {
  const match = read(header).match(new RegExp(`NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT\\(\\s*${struct}\\s*,([^)]*)\\)`));
  if (!match) throw new Error(`${header}: no JSON field list for ${struct}`);
  return match[1].split(',').map((s) => s.trim()).filter(Boolean);
}

const sorted = (keys: Iterable<string>): string[] => [...new Set(keys)].sort();

/** Options that never reach the native struct, and why. */
const TS_ONLY: Record<string, string> = {
  threads: 'lib/train.ts applies it with setThreads() before the run',
};

test('TrainOptions: every training option (the nested objects included) and nothing else', () => {
  const fromTable = [...Object.keys(trainOptionTable).filter((k) => !(k in TS_ONLY)), 'optimizer', 'schedule', 'shard', 'distributed'];
  expect(sorted(jsonFields('native/train/train_options.h', 'TrainOptions'))).toEqual(sorted(fromTable));
});

test('OptimizerOptions: the fields of both optimizers', () => {
  expect(sorted(jsonFields('native/train/train_options.h', 'OptimizerOptions'))).toEqual(sorted([...Object.keys(sgdOptionTable), ...Object.keys(adamwOptionTable)]));
});

test('ScheduleOptions and ShardOptions', () => {
  expect(sorted(jsonFields('native/train/train_options.h', 'ScheduleOptions'))).toEqual(sorted(Object.keys(scheduleOptionTable)));
  expect(sorted(jsonFields('native/train/train_options.h', 'ShardOptions'))).toEqual(sorted(Object.keys(shardOptionTable)));
});

test('DistributedOptions: the distributed options', () => {
  expect(sorted(jsonFields('native/train/train_options.h', 'DistributedOptions'))).toEqual(sorted(Object.keys(distributedOptionTable)));
});

test('InferenceSettings: the predict options', () => {
  expect(sorted(jsonFields('native/model/model.h', 'InferenceSettings'))).toEqual(sorted(Object.keys(predictOptionTable)));
});

test('ModelOptions: the model options', () => {
  expect(sorted(jsonFields('native/model/model_options.h', 'ModelOptions'))).toEqual(sorted(Object.keys(modelOptionTable)));
});

// ---- The outbound direction: native structs whose wire form is a field list (SENET_WIRE_FIELDS)
// against the wire types of lib/native.ts. Results and events with a hand-written to_json (their members depend
// on the values) are checked against the same declarations in test/wire-types.test.ts, on what the addon returns.

/** The field names of `struct`'s SENET_WIRE_FIELDS list (native/io/json_fields.h) in a header. */
function wireFields(header: string, struct: string): string[] {
  const match = read(header).match(new RegExp(`SENET_WIRE_FIELDS\\(\\s*${struct}\\s*,([^)]*)\\)`));
  if (!match) throw new Error(`${header}: no wire field list for ${struct}`);
  return match[1].split(',').map((s) => s.trim()).filter(Boolean);
}

/** The members of a wire type, or of the object type of one of its members (`NativeRuntimeInfo.openmp`). */
function declaredMembers(typePath: string): string[] {
  const [type, ...members] = typePath.split('.');
  let shape = declared(type)[0];
  for (const member of members) shape = shape.members[member].nested[0];
  return Object.keys(shape.members);
}

test.each([
  ['native/data/data_source.h', 'DatasetInfo', 'DatasetInfo'],
  ['native/model/resnet.h', 'StageSummary', 'StageSummary'],
  ['native/io/safetensors_header.h', 'SafetensorsHeader', 'SafetensorsInspection'],
  ['native/io/safetensors_header.h', 'TensorEntry', 'SafetensorsInspection.tensors'],
  ['native/runtime/runtime_info.h', 'RuntimeInfo', 'NativeRuntimeInfo'],
  ['native/runtime/runtime_info.h', 'Tf32Settings', 'NativeRuntimeInfo.tf32'],
  ['native/runtime/openmp_info.h', 'OpenMpInfo', 'NativeRuntimeInfo.openmp'],
])('%s %s is lib/native.ts %s', (header, struct, wireType) => {
  expect(sorted(wireFields(header, struct))).toEqual(sorted(declaredMembers(wireType)));
});

test('DataSpec: the fields of every dataset type, where its files are, and its transforms', () => {
  const fromTable = Object.values(DATASET_TYPES).flatMap((type) => Object.keys(type.fields));
  expect(sorted(jsonFields('native/data/data_formats.h', 'DataSpec'))).toEqual(sorted([...fromTable, 'type', 'path', 'transforms']));
});

test('native/train/checkpoint.h CheckpointSummary is lib/native.ts CheckpointSummary', () => {
  expect(sorted(wireFields('native/train/checkpoint.h', 'CheckpointSummary'))).toEqual(sorted(declaredMembers('CheckpointSummary')));
});
