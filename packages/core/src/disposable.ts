/** Something holding resources (tensors, files) that must be released. */
export interface Disposable {
  dispose(): void | Promise<void>;
}

export function isDisposable(value: unknown): value is Disposable {
  return typeof value === 'object' && value !== null && typeof (value as Disposable).dispose === 'function';
}
