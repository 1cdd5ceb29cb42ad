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

/** Awaits `work`; on failure, throws `callSite` carrying the native message. */
export async function withCallSite<T>(callSite: Error, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const frames = (callSite.stack ?? '').split('\n').slice(1).join('\n');
    callSite.message = message;
    callSite.stack = `Error: ${message}\n${frames}`;
    throw callSite;
  }
}
