import type { MalformedCode } from '@driftwatch/contracts';
/**
 * Decoding that never kills a stream. grpc-js ends a call with INTERNAL when a message fails to deserialize
 * (server side) or cancels it (client side); a source that must skip one bad message and go on wraps its
 * deserializers here, so a bad message arrives as an {@link UndecodableMessage} value instead.
 */
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';

/** A message whose bytes could not be decoded with the method's protobuf type. */
export class UndecodableMessage {
  constructor(
    /** The decoder's reason (`index out of range: 3 + 16 > 3`, `invalid wire type 7 at offset 2`, ...). */
    readonly reason: string,
    /** Size of the message in bytes. */
    readonly size: number,
  ) {}

  /** The problem as data, in the shape `FlowPipeline.reject` takes. */
  get problem(): { code: MalformedCode; message: string } {
    return { code: 'undecodable_message', message: `cannot decode a ${this.size}-byte message: ${this.reason}` };
  }
}

/** Wraps a deserializer so that a decoding failure returns an {@link UndecodableMessage} instead of throwing. */
export function guardDeserializer<T>(deserialize: (bytes: Buffer) => T): (bytes: Buffer) => T | UndecodableMessage {
  return (bytes) => {
    try {
      return deserialize(bytes);
    } catch (error) {
      return new UndecodableMessage(error instanceof Error ? error.message : String(error), bytes.length);
    }
  };
}

/**
 * A copy of a service definition whose request deserializers are guarded (see {@link guardDeserializer}): for a
 * server that must answer, count and skip a bad message rather than end the call.
 */
export function guardRequests(service: ServiceDefinition): ServiceDefinition {
  const guarded: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(service) as [string, MethodDefinition<unknown, unknown>][]) {
    guarded[name] = { ...method, requestDeserialize: guardDeserializer(method.requestDeserialize) };
  }
  return guarded as ServiceDefinition;
}
