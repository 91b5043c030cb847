/** The part of dcmjs's API Truthline uses (the package ships no types). */
declare module 'dcmjs' {
  type Dict = Record<string, { vr: string; Value: unknown[] }>;
  class DicomDict {
    constructor(meta: Dict);
    dict: Dict;
    meta: Dict;
    write(options?: Record<string, unknown>): ArrayBuffer;
  }
  const dcmjs: {
    data: {
      DicomDict: typeof DicomDict;
      DicomMessage: { readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): DicomDict };
      DicomMetaDictionary: {
        denaturalizeDataset(dataset: Record<string, unknown>): Dict;
        naturalizeDataset(dict: Dict): Record<string, unknown>;
      };
    };
  };
  export default dcmjs;
}
