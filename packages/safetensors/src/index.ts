export { readSafetensors, readSafetensorsHeader, type ReadSafetensorsOptions, type SafetensorsContents } from './read';
export { writeSafetensors } from './write';
export { MAX_HEADER_BYTES, type SafeTensorInfo, type SafetensorsHeader } from './header';
export { SAFE_DTYPES, DTYPE_BYTES, FORMAT_DTYPE_BYTES, type SafeDtype, type SafeTensor, type SafeTensorData, type WritableDtype, type WritableTensor } from './dtypes';
