/** Test helper: the StoreError code a store call ends with ('resolved' when it succeeds). */
import { StoreError } from '../../shared/ports.js';

export async function storeCodeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return error instanceof StoreError ? error.code : `unexpected ${String(error)}`;
  }
}
