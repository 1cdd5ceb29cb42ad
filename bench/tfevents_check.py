"""Reads a TensorBoard event file with tensorboard's own reader and compares its scalars
with what the writer was given (bench/gpu_tfevents.js).

    python3 bench/tfevents_check.py <events.out.tfevents.*> <expected.json>

expected.json: {tag: [[step, value], ...]}. Values are stored as float32, so each must
equal the float32 rounding of what was written. Prints a JSON verdict (last line);
exit status 0 when everything matches, 1 when not.
"""
import json
import struct
import sys

import tensorboard
from tensorboard.backend.event_processing import event_accumulator


def float32(value):
    return struct.unpack("<f", struct.pack("<f", value))[0]


def main():
    path, expected_path = sys.argv[1], sys.argv[2]
    expected = json.load(open(expected_path))
    reader = event_accumulator.EventAccumulator(path, size_guidance={event_accumulator.SCALARS: 0})
    reader.Reload()
    found = set(reader.Tags().get("scalars", []))
    problems = []
    if found != set(expected):
        problems.append(f"tags differ: written {sorted(expected)}, read {sorted(found)}")
    points = 0
    for tag in sorted(set(expected) & found):
        read = [(event.step, event.value) for event in reader.Scalars(tag)]
        want = [(step, float32(value)) for step, value in expected[tag]]
        points += len(read)
        if [s for s, _ in read] != [s for s, _ in want]:
            problems.append(f"{tag}: steps {[s for s, _ in read]}, written {[s for s, _ in want]}")
        elif any(r != w for (_, r), (_, w) in zip(read, want)):
            problems.append(f"{tag}: values {[v for _, v in read]}, written {[v for _, v in want]}")
    print(json.dumps({"pass": not problems, "tensorboard": tensorboard.__version__, "tags": len(found),
                      "points": points, "problems": problems}))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
