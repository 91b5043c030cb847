/**
 * PNG/JPEG through Cornerstone: a `web:<url>` image loader and the metadata a stack viewport
 * needs for an image without a DICOM header (8-bit, greyscale when the channels agree, else RGB).
 */
import { imageLoader, metaData, utilities, Enums, type Types } from '@cornerstonejs/core';

const meta = new Map<string, Record<string, unknown>>();

async function load(imageId: string): Promise<Types.IImage> {
  const url = imageId.slice('web:'.length);
  const res = await fetch(url, { credentials: 'same-origin' });
  if (!res.ok) throw new Error(`image ${url}: HTTP ${res.status}`);
  const bitmap = await createImageBitmap(await res.blob());
  const { width, height } = bitmap;
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  let grey = true;
  for (let i = 0; i < rgba.length && grey; i += 4) grey = rgba[i] === rgba[i + 1] && rgba[i] === rgba[i + 2];
  const components = grey ? 1 : 3;
  const px = new Uint8Array(width * height * components);
  for (let p = 0, q = 0; p < rgba.length; p += 4) {
    px[q++] = rgba[p];
    if (!grey) {
      px[q++] = rgba[p + 1];
      px[q++] = rgba[p + 2];
    }
  }
  meta.set(imageId, {
    imagePixelModule: {
      samplesPerPixel: components,
      photometricInterpretation: grey ? 'MONOCHROME2' : 'RGB',
      rows: height,
      columns: width,
      bitsAllocated: 8,
      bitsStored: 8,
      highBit: 7,
      pixelRepresentation: 0,
      planarConfiguration: 0,
    },
    imagePlaneModule: {
      rows: height,
      columns: width,
      rowPixelSpacing: 1,
      columnPixelSpacing: 1,
      pixelSpacing: [1, 1],
      rowCosines: [1, 0, 0],
      columnCosines: [0, 1, 0],
      imageOrientationPatient: [1, 0, 0, 0, 1, 0],
      imagePositionPatient: [0, 0, 0],
      frameOfReferenceUID: imageId,
      usingDefaultValues: true,
    },
    generalSeriesModule: { modality: 'OT' },
    voiLutModule: { windowCenter: [127.5], windowWidth: [255] },
    modalityLutModule: { rescaleSlope: 1, rescaleIntercept: 0 },
  });
  const voxelManager = utilities.VoxelManager.createImageVoxelManager({ width, height, scalarData: px, numberOfComponents: components });
  return {
    imageId,
    minPixelValue: 0,
    maxPixelValue: 255,
    slope: 1,
    intercept: 0,
    windowCenter: 127.5,
    windowWidth: 255,
    voiLUTFunction: Enums.VOILUTFunctionType.LINEAR,
    getPixelData: () => px,
    getCanvas: () => canvas,
    rows: height,
    columns: width,
    height,
    width,
    color: !grey,
    rgba: false,
    numberOfComponents: components,
    columnPixelSpacing: 1,
    rowPixelSpacing: 1,
    invert: false,
    photometricInterpretation: grey ? 'MONOCHROME2' : 'RGB',
    sizeInBytes: px.byteLength,
    dataType: 'Uint8Array',
    voxelManager,
  } as unknown as Types.IImage;
}

export function registerWebLoader() {
  imageLoader.registerImageLoader('web', (imageId: string) => ({ promise: load(imageId) }) as unknown as Types.IImageLoadObject);
  metaData.addProvider((type: string, imageId: string) => meta.get(imageId)?.[type], 10_000);
}
