// A minimal typed listener registry shared by watchers and keep-alive handles. Node's
// EventEmitter would do, but its 'error' event throws when nobody listens, and a daemon must
// not crash because a watch hiccupped while no one had subscribed to errors yet.

export type Listener<T> = (value: T) => void;

export class TypedEvents<M extends object> {
  private readonly listeners: { [K in keyof M]?: Listener<M[K]>[] } = {};

  on<K extends keyof M>(type: K, fn: Listener<M[K]>): void {
    (this.listeners[type] ??= []).push(fn);
  }

  off<K extends keyof M>(type: K, fn: Listener<M[K]>): void {
    const list = this.listeners[type];
    if (list !== undefined) this.listeners[type] = list.filter((l) => l !== fn);
  }

  emit<K extends keyof M>(type: K, value: M[K]): void {
    for (const fn of this.listeners[type] ?? []) fn(value);
  }
}
