/**
 * The `deviceTags` condition: the tags a device earned (`valid-client-certificate` from
 * validation, `compliant` and `hybrid-joined` from the directory), any of a list or none of one.
 * May import: zod, the condition contract, the field schemas.
 */
import { z } from 'zod';
import { and, defineCondition, not, type ConditionResult } from '../condition.js';
import { DEVICE_TAGS, type DeviceTag } from '../fieldSchemas.js';

/** What `deviceTags` reads (and `certificate`, for `valid-client-certificate`). */
export interface DeviceTagsRequest {
  readonly deviceTags: ReadonlySet<DeviceTag>;
  /** Tags the directory could not confirm or deny (e.g. Graph down). */
  readonly unknownDeviceTags?: ReadonlySet<DeviceTag>;
}

/** Whether the device has a tag: a tag it has is present even when also listed as unknown. */
export function deviceTagState(request: DeviceTagsRequest, tag: DeviceTag): 'present' | 'absent' | 'unknown' {
  if (request.deviceTags.has(tag)) return 'present';
  return request.unknownDeviceTags?.has(tag) === true ? 'unknown' : 'absent';
}

/** match when the device has any of `tags`. */
function hasAny(request: DeviceTagsRequest, tags: readonly DeviceTag[]): { result: ConditionResult; tag?: DeviceTag } {
  let result: ConditionResult = 'no-match';
  for (const tag of tags) {
    const state = deviceTagState(request, tag);
    if (state === 'present') return { result: 'match', tag };
    if (state === 'unknown') result = 'unknown';
  }
  return { result };
}

/** The `deviceTags` condition. */
export const deviceTags = defineCondition<DeviceTagsRequest>()({
  name: 'deviceTags',
  schema: z
    .strictObject({
      equals: z.array(z.enum(DEVICE_TAGS)).min(1).optional(),
      notEquals: z.array(z.enum(DEVICE_TAGS)).min(1).optional(),
    })
    .refine((tags) => tags.equals !== undefined || tags.notEquals !== undefined, {
      message: 'deviceTags needs equals or notEquals',
      params: { code: 'too-short' },
    }),
  reads: ['deviceTags', 'unknownDeviceTags'],
  compile(condition) {
    const equals = condition.equals ?? [];
    const notEquals = condition.notEquals ?? [];
    const equalsText = equals.join(', ');
    const notEqualsText = notEquals.join(', ');
    return ({ request }) => {
      let result: ConditionResult = 'match';
      const details: string[] = [];
      if (equals.length > 0) {
        const any = hasAny(request, equals);
        result = and(result, any.result);
        details.push(
          any.result === 'match'
            ? `has ${any.tag ?? ''}`
            : any.result === 'no-match'
              ? `has none of ${equalsText}`
              : `cannot tell whether it has ${equalsText}`,
        );
      }
      if (notEquals.length > 0) {
        const any = hasAny(request, notEquals);
        result = and(result, not(any.result));
        details.push(
          any.result === 'match'
            ? `has ${any.tag ?? ''}`
            : any.result === 'no-match'
              ? `has none of ${notEqualsText}`
              : `cannot tell whether it has ${notEqualsText}`,
        );
      }
      return { result, detail: `device ${details.join('; ')}` };
    };
  },
  deviceTags: (condition) => [...(condition.equals ?? []), ...(condition.notEquals ?? [])],
  example: { notEquals: ['compliant', 'hybrid-joined'] },
  docs: {
    shape:
      '`{ equals?: DeviceTag[], notEquals?: DeviceTag[] }`, tags `valid-client-certificate`, `compliant`, `hybrid-joined`',
    matchesWhen: '`equals`: the device has **any** of the tags; `notEquals`: it has **none** of them',
  },
});
