// Native work runs on worker threads, so a rejection would carry no JS stack.
// Like sharp, we capture an Error at the call site (synchronously, before any
// await) and re-throw the native message on it: the stack then points at the
// user's code.

/** Captures the caller's stack, omitting frames from `omitAbove` upward. */
export function captureCallSite(omitAbove: Function): Error {
  const holder = new Error();
  Error.captureStackTrace(holder, omitAbove);
  return holder;
}

function messageOf(error: unknown): string {
  return error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)
    ? String((error as { message: unknown }).message)
    : String(error);
}

/**
 * Runs a synchronous native call; a native error is re-thrown as an Error of
 * this realm (addon errors belong to Node's main context, which matters under
 * jest or vm) with the caller's stack.
 */
export function callNative<T>(omitAbove: Function, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    const rethrown = new Error(messageOf(error));
    Error.captureStackTrace(rethrown, omitAbove);
    throw rethrown;
  }
}

/**
 * Awaits `work`; on failure, re-throws with the caller's frames. Errors made
 * in this realm (option errors, listener errors) keep their class and fields;
 * native errors are re-thrown on `callSite`.
 */
export async function withCallSite<T>(callSite: Error, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const frames = (callSite.stack ?? '').split('\n').slice(1).join('\n');
    const target = error instanceof Error ? error : callSite;
    const message = messageOf(error);
    target.message = message;
    if (target === callSite && typeof error === 'object' && error !== null && 'name' in error) {
      callSite.name = String((error as { name: unknown }).name);
    }
    target.stack = `${target.name}: ${message}\n${frames}`;
    throw target;
  }
}
