/**
 * @peculiar/x509 2.x loads tsyringe, which refuses to start without a Reflect metadata polyfill,
 * and `reflect-metadata` is not a dependency. This installs the minimal subset tsyringe calls
 * (getMetadata, getOwnMetadata, defineMetadata) when no polyfill is present; the validation test PKI imports
 * it before @peculiar/x509. (dev/pki and test/cert/intake carry the same shim.)
 * May import: nothing.
 */
type MetadataReflect = typeof Reflect & {
  getMetadata?: (key: unknown, target: object) => unknown;
  getOwnMetadata?: (key: unknown, target: object) => unknown;
  defineMetadata?: (key: unknown, value: unknown, target: object) => void;
};

const reflect = Reflect as MetadataReflect;
if (!('getMetadata' in Reflect)) {
  const store = new WeakMap<object, Map<unknown, unknown>>();
  const own = (key: unknown, target: object): unknown => store.get(target)?.get(key);
  reflect.getOwnMetadata = own;
  reflect.getMetadata = (key, target) => {
    for (let current: object | null = target; current !== null; current = Object.getPrototypeOf(current) as object | null) {
      const value = own(key, current);
      if (value !== undefined) return value;
    }
    return undefined;
  };
  reflect.defineMetadata = (key, value, target) => {
    const map = store.get(target) ?? new Map<unknown, unknown>();
    map.set(key, value);
    store.set(target, map);
  };
}
