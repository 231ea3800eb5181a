/**
 * Microsoft Graph's JSON answers, checked and mapped to certgate's directory types: membership
 * (`checkMemberGroups`), devices, a user's `authorizationInfo.certificateUserIds`, `groups/{id}`
 * groups, Conditional Access policy pages and JSON batch envelopes. Anything that does not match
 * is a {@link DirectoryError} `unavailable` (Graph answered, but not with what certgate can trust),
 * never a crash and never a guess.
 * May import: zod, ../ports.js.
 */
import { z } from 'zod';
import { DirectoryError, type ConditionalAccessPolicy, type DirectoryDevice } from '../ports.js';

/** The device properties certgate asks Graph for (`$select`). */
export const DEVICE_PROPERTIES = [
  'id',
  'deviceId',
  'displayName',
  'accountEnabled',
  'isCompliant',
  'isManaged',
  'trustType',
] as const;

const Strings = z.array(z.string());
/** Graph writes null for empty collections in places; the port types say "absent". */
const OptionalStrings = Strings.nullish().transform((value) => value ?? undefined);
const OptionalString = z
  .string()
  .nullish()
  .transform((value) => value ?? undefined);

function parse<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new DirectoryError(
    'unavailable',
    `Graph ${what}: unexpected answer (${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'})`,
  );
}

const MemberGroupsSchema = z.object({ value: Strings });

/** `checkMemberGroups`: the asked group ids the user is a member of, spelled as asked. */
export function readMemberGroups(body: unknown, asked: readonly string[]): string[] {
  const { value } = parse(MemberGroupsSchema, body, 'checkMemberGroups');
  const returned = new Set(value.map((id) => id.toLowerCase()));
  return asked.filter((id) => returned.has(id.toLowerCase()));
}

const DeviceSchema = z.object({
  id: z.string().min(1),
  deviceId: z.string().min(1),
  displayName: OptionalString,
  accountEnabled: z.boolean(),
  isCompliant: z
    .boolean()
    .nullish()
    .transform((value) => value ?? null),
  isManaged: z
    .boolean()
    .nullish()
    .transform((value) => value ?? null),
  trustType: z
    .string()
    .nullish()
    .transform((value) => value ?? null),
});
const DevicePageSchema = z.object({ value: z.array(DeviceSchema) });

/**
 * `GET /devices?$filter=deviceId eq …`: the device, or null when there is none. A device with another id is malformed.
 */
export function readDevice(body: unknown, deviceId: string): DirectoryDevice | null {
  const { value } = parse(DevicePageSchema, body, 'devices');
  const device = value[0];
  if (device === undefined) return null;
  if (device.deviceId.toLowerCase() !== deviceId.toLowerCase()) {
    throw new DirectoryError('unavailable', `Graph devices: asked for device ${deviceId}, got ${device.deviceId}`);
  }
  return {
    objectId: device.id,
    deviceId: device.deviceId,
    ...(device.displayName === undefined ? {} : { displayName: device.displayName }),
    accountEnabled: device.accountEnabled,
    isCompliant: device.isCompliant,
    isManaged: device.isManaged,
    trustType: device.trustType,
  };
}

const UserSchema = z.object({
  id: z.string().min(1),
  authorizationInfo: z.object({ certificateUserIds: Strings.nullish() }).nullish(),
});

/** `GET /users/{id}?$select=authorizationInfo`: the user's certificateUserIds (none is an empty list). */
export function readCertificateUserIds(body: unknown): string[] {
  return parse(UserSchema, body, 'users').authorizationInfo?.certificateUserIds ?? [];
}

const GroupSchema = z.object({ id: z.string().min(1), displayName: z.string().nullish() });

/** `GET /groups/{id}`: the group's id (lowercase) and display name ("" when Graph withholds it). */
export function readGroup(body: unknown): { readonly id: string; readonly displayName: string } {
  const group = parse(GroupSchema, body, 'groups/{id}');
  return { id: group.id.toLowerCase(), displayName: group.displayName ?? '' };
}

const PolicySchema = z.object({
  id: z.string().min(1),
  displayName: z.string(),
  state: z.enum(['enabled', 'disabled', 'enabledForReportingButNotEnforced']),
  conditions: z.object({
    applications: z.object({ includeApplications: OptionalStrings, excludeApplications: OptionalStrings }).nullish(),
    users: z
      .object({
        includeUsers: OptionalStrings,
        excludeUsers: OptionalStrings,
        includeGroups: OptionalStrings,
        excludeGroups: OptionalStrings,
      })
      .nullish(),
    clientAppTypes: OptionalStrings,
  }),
  grantControls: z.object({ operator: OptionalString, builtInControls: OptionalStrings }).nullish(),
  sessionControls: z
    .object({
      cloudAppSecurity: z
        .object({
          isEnabled: z
            .boolean()
            .nullish()
            .transform((value) => value ?? undefined),
          cloudAppSecurityType: OptionalString,
        })
        .nullish(),
    })
    .nullish(),
});
const PolicyPageSchema = z.object({ value: z.array(PolicySchema), '@odata.nextLink': z.string().optional() });

/** One page of `/identity/conditionalAccess/policies` and the link to the next, if any. */
export function readPolicyPage(body: unknown): {
  readonly policies: ConditionalAccessPolicy[];
  readonly nextLink: string | undefined;
} {
  const page = parse(PolicyPageSchema, body, 'conditionalAccess/policies');
  return { policies: page.value, nextLink: page['@odata.nextLink'] };
}

const BatchSchema = z.object({
  responses: z.array(
    z.object({
      id: z.string(),
      status: z.number().int(),
      headers: z.record(z.string(), z.unknown()).nullish(),
      body: z.unknown(),
    }),
  ),
});

/** One inner answer of a JSON batch. */
export interface BatchAnswer {
  readonly status: number;
  /** Header names lowercased. */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: unknown;
}

/** A `$batch` envelope: inner answers by request id. */
export function readBatch(body: unknown): Map<string, BatchAnswer> {
  const { responses } = parse(BatchSchema, body, '$batch');
  return new Map(
    responses.map((response) => [
      response.id,
      {
        status: response.status,
        headers: new Map(
          Object.entries(response.headers ?? {}).flatMap(([name, value]): [string, string][] =>
            typeof value === 'string' || typeof value === 'number' ? [[name.toLowerCase(), String(value)]] : [],
          ),
        ),
        body: response.body,
      },
    ]),
  );
}
