/**
 * Writes DICOM Part 10 files with dcmjs (explicit VR little endian, 16-bit greyscale). The
 * demo and the tests use it; nothing here parses or decodes DICOM.
 */
import dcmjs from 'dcmjs';

const { DicomDict, DicomMetaDictionary } = dcmjs.data;

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const SOP_CLASS = {
  DX: '1.2.840.10008.5.1.4.1.1.1.1', // Digital X-Ray Image Storage – For Presentation
  MG: '1.2.840.10008.5.1.4.1.1.1.2', // Digital Mammography X-Ray Image Storage – For Presentation
  CT: '1.2.840.10008.5.1.4.1.1.2', // CT Image Storage
} as const;
// A UID root for generated objects (the demo and tests only).
const ROOT = '1.2.826.0.1.3680043.10.1234';

export function uid(...parts: (number | string)[]): string {
  return [ROOT, ...parts].join('.');
}

export type GreyImage = {
  rows: number;
  columns: number;
  /** Stored values, row by row. */
  pixels: Uint16Array | Int16Array;
  bitsStored: number;
  signed?: boolean;
};

/** Attributes the caller names in dcmjs's naturalised form (e.g. { Modality: 'MG', ImageLaterality: 'R' }). */
export type Attributes = Record<string, unknown> & { SOPClassUID: string; SOPInstanceUID: string; StudyInstanceUID: string; SeriesInstanceUID: string; Modality: string };

export function writePart10(attrs: Attributes, image: GreyImage): Buffer {
  const { rows, columns, pixels, bitsStored } = image;
  if (pixels.length !== rows * columns) throw new Error(`pixel count ${pixels.length} is not ${rows}×${columns}`);
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: attrs.SOPClassUID,
    MediaStorageSOPInstanceUID: attrs.SOPInstanceUID,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: uid(0, 1),
    ImplementationVersionName: 'TRUTHLINE',
  };
  const pixelBytes = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength).slice().buffer;
  const dataset = {
    SpecificCharacterSet: 'ISO_IR 192',
    PatientName: 'DEMO^SYNTHETIC',
    PatientID: 'DEMO',
    BurnedInAnnotation: 'NO',
    ...attrs,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: rows,
    Columns: columns,
    BitsAllocated: 16,
    BitsStored: bitsStored,
    HighBit: bitsStored - 1,
    PixelRepresentation: image.signed ? 1 : 0,
    PixelData: [pixelBytes],
    _vrMap: { PixelData: 'OW' },
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return Buffer.from(dict.write());
}

/** Reads back the naturalised attributes of a Part 10 file (for checks and the import preview). */
export function readAttributes(buf: Buffer): Record<string, unknown> {
  const ab = new Uint8Array(buf).slice().buffer;
  const dict = dcmjs.data.DicomMessage.readFile(ab);
  return DicomMetaDictionary.naturalizeDataset(dict.dict);
}
