/** A minimal typed event emitter for the pure layers (vscode.EventEmitter's shape, without vscode). */
import { DisposableLike } from './hostConnection';

export class Emitter<T> {
  private listeners = new Set<(value: T) => void>();

  event = (listener: (value: T) => void): DisposableLike => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(value: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(value);
      } catch {
        // a listener's failure must not stop the others
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}
