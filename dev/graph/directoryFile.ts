/**
 * The dev directory file the Graph stand-in serves (`dev/graph/directory.json`): its schema, a
 * loader that checks it, and the directory queries the routes need (transitive group membership,
 * device by Entra device id). Users alice and bob carry the object ids the dev token issuer gives
 * them (`devObjectIdFor(upn)`), the first device is the dev PKI's device certificate's device, and
 * the Vendors / Finance groups are the demo policies' ids: `test/dev/graphStandIn.test.ts` checks
 * they agree. Dev and test only.
 * May import: zod, node built-ins.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** Where the committed dev directory lives. */
export const DEV_DIRECTORY_PATH = join(dirname(fileURLToPath(import.meta.url)), 'directory.json');

const Guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'not a GUID');
const Strings = z.array(z.string());

const ConditionalAccessPolicySchema = z.looseObject({
  id: Guid,
  displayName: z.string(),
  state: z.enum(['enabled', 'disabled', 'enabledForReportingButNotEnforced']),
  conditions: z.looseObject({
    clientAppTypes: Strings.optional(),
    applications: z
      .looseObject({ includeApplications: Strings.optional(), excludeApplications: Strings.optional() })
      .nullable()
      .optional(),
    users: z
      .looseObject({
        includeUsers: Strings.optional(),
        excludeUsers: Strings.optional(),
        includeGroups: Strings.optional(),
        excludeGroups: Strings.optional(),
      })
      .nullable()
      .optional(),
  }),
  grantControls: z
    .looseObject({ operator: z.string().optional(), builtInControls: Strings.optional() })
    .nullable()
    .optional(),
  sessionControls: z
    .looseObject({
      cloudAppSecurity: z
        .looseObject({ isEnabled: z.boolean().optional(), cloudAppSecurityType: z.string().optional() })
        .nullable()
        .optional(),
    })
    .nullable()
    .optional(),
});

/** The schema of a dev directory file. Unknown keys of a Conditional Access policy are kept and served as they are. */
export const DirectoryFileSchema = z
  .object({
    tenantId: Guid,
    /**
     * The app registration certgate signs in as (client-credentials grant), with its granted Graph application
     * permissions.
     */
    application: z.object({
      displayName: z.string(),
      clientId: Guid,
      servicePrincipalId: Guid,
      clientSecret: z.string().min(16),
      roles: Strings,
    }),
    /** Page size of `/identity/conditionalAccess/policies` when the request has no `$top`. */
    conditionalAccessPageSize: z.number().int().min(1).max(999),
    /** Names of the enterprise apps the Conditional Access policies name (not served; for people and tests). */
    applications: z.array(z.object({ appId: Guid, displayName: z.string() })),
    users: z.array(
      z.object({
        id: Guid,
        userPrincipalName: z.string().includes('@'),
        displayName: z.string(),
        certificateUserIds: Strings,
      }),
    ),
    /** `members`: object ids of users and of nested groups. */
    groups: z.array(z.object({ id: Guid, displayName: z.string(), members: z.array(Guid) })),
    devices: z.array(
      z.object({
        id: Guid,
        deviceId: Guid,
        displayName: z.string(),
        accountEnabled: z.boolean(),
        isCompliant: z.boolean().nullable(),
        isManaged: z.boolean().nullable(),
        trustType: z.enum(['AzureAd', 'ServerAd', 'Workplace']).nullable(),
      }),
    ),
    conditionalAccessPolicies: z.array(ConditionalAccessPolicySchema),
  })
  .superRefine((file, context) => {
    const ids = new Set<string>();
    const objects = [...file.users, ...file.groups, ...file.devices];
    for (const object of objects) {
      const id = object.id.toLowerCase();
      if (ids.has(id)) context.addIssue({ code: 'custom', message: `object id ${object.id} is used twice` });
      ids.add(id);
    }
    const memberIds = new Set([...file.users, ...file.groups].map((object) => object.id.toLowerCase()));
    for (const group of file.groups) {
      for (const member of group.members) {
        if (!memberIds.has(member.toLowerCase()))
          context.addIssue({
            code: 'custom',
            message: `group ${group.displayName}: member ${member} is neither a user nor a group`,
          });
      }
    }
  });

/** A dev directory: users, groups with nested membership, devices, Conditional Access policies. */
export type DirectoryFile = z.infer<typeof DirectoryFileSchema>;
/** A user of the dev directory. */
export type DirectoryUser = DirectoryFile['users'][number];
/** A device of the dev directory. */
export type DirectoryDeviceRecord = DirectoryFile['devices'][number];

/** Checks a parsed directory; throws naming the first problem. */
export function parseDirectoryFile(value: unknown, source = 'directory'): DirectoryFile {
  const parsed = DirectoryFileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${source}: ${issue?.path.join('.') || '(file)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** Reads and checks a directory file (default: the committed `dev/graph/directory.json`). */
export async function loadDirectoryFile(path: string = DEV_DIRECTORY_PATH): Promise<DirectoryFile> {
  return parseDirectoryFile(JSON.parse(await readFile(path, 'utf8')) as unknown, path);
}

/** Lookups over a directory file; ids compare case-insensitively, as Graph's do. */
export class DirectoryIndex {
  private readonly usersByKey = new Map<string, DirectoryUser>();
  private readonly groupsById = new Map<string, DirectoryFile['groups'][number]>();
  /** Group id → ids of the groups it is a direct member of. */
  private readonly parentGroups = new Map<string, string[]>();

  constructor(readonly file: DirectoryFile) {
    for (const user of file.users) {
      this.usersByKey.set(user.id.toLowerCase(), user);
      this.usersByKey.set(user.userPrincipalName.toLowerCase(), user);
    }
    for (const group of file.groups) {
      this.groupsById.set(group.id.toLowerCase(), group);
      for (const member of group.members) {
        const key = member.toLowerCase();
        this.parentGroups.set(key, [...(this.parentGroups.get(key) ?? []), group.id.toLowerCase()]);
      }
    }
  }

  /** A user by object id or user principal name (Graph's `/users/{id | userPrincipalName}`). */
  user(idOrUpn: string): DirectoryUser | undefined {
    return this.usersByKey.get(idOrUpn.toLowerCase());
  }

  /** A group by object id. */
  group(id: string): DirectoryFile['groups'][number] | undefined {
    return this.groupsById.get(id.toLowerCase());
  }

  /** Every group the object is a member of, directly or through nested groups (lowercase ids). */
  transitiveGroupsOf(objectId: string): Set<string> {
    const found = new Set<string>();
    const pending = [...(this.parentGroups.get(objectId.toLowerCase()) ?? [])];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      if (found.has(next)) continue;
      found.add(next);
      pending.push(...(this.parentGroups.get(next) ?? []));
    }
    return found;
  }

  /** The device with this Entra device id. */
  deviceByDeviceId(deviceId: string): DirectoryDeviceRecord | undefined {
    const key = deviceId.toLowerCase();
    return this.file.devices.find((device) => device.deviceId.toLowerCase() === key);
  }
}
