// The option tables and validators of the library (see table.ts).
export * from './validate';
export * from './table';
export * from './model';
export * from './train';
export * from './distributed';
export * from './inference';
export * from './export';
