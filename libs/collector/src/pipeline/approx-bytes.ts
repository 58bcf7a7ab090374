/**
 * About how many bytes `value` takes once written as JSON: string lengths, 8 per number, keys included, own properties only. Used to
 * bound the memory held for the database (evidence bodies), not for exact sizes. Walks at most `maxNodes`
 * values (then counts what is left as 64 bytes each) so a pathological body costs bounded time.
 */
export function approxBytes(value: unknown, maxNodes = 100_000): number {
  let bytes = 0;
  let nodes = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (++nodes > maxNodes) return bytes + (stack.length + 1) * 64;
    switch (typeof v) {
      case 'string':
        bytes += v.length + 2;
        break;
      case 'number':
      case 'bigint':
        bytes += 8;
        break;
      case 'boolean':
        bytes += 5;
        break;
      case 'object':
        if (v === null) bytes += 4;
        else if (ArrayBuffer.isView(v)) bytes += Math.ceil((v.byteLength * 4) / 3);
        else if (Array.isArray(v)) {
          bytes += 2 + v.length;
          for (const item of v) stack.push(item);
        } else {
          bytes += 2;
          // Own keys only: decoded protobuf messages keep defaults and their type on the prototype.
          for (const key of Object.keys(v)) {
            bytes += key.length + 4;
            stack.push((v as Record<string, unknown>)[key]);
          }
        }
        break;
      default:
        break;
    }
  }
  return bytes;
}
