// Application groups (docs/groups.md): one user provider and its subscribers, sharing users and
// sessions. The store's part. An application belongs to at most one group; the provider is a member
// too (role 'provider'). Which writes go together (a subscriber joining hands its users to the
// provider and leaves its sessions) is the core's rule (core/operator/groups.ts); the store runs them.

export type GroupRole = 'provider' | 'subscriber';

export interface GroupRecord {
  /** 1–64 characters: letters, digits, `.`, `_`, `-`. */
  readonly name: string;
  readonly providerId: string;
  readonly createdAt: number;
}

/** One member of a group, as stored. */
export interface GroupMemberRecord {
  readonly applicationId: string;
  readonly groupName: string;
  readonly role: GroupRole;
  readonly joinedAt: number;
}

/** The group an application belongs to, and its place in it. */
export interface GroupMembership {
  readonly groupName: string;
  readonly providerId: string;
  readonly role: GroupRole;
}

/** A group with how many members it has, the provider included: what operators list. */
export interface GroupSummary extends GroupRecord {
  readonly members: number;
}

/**
 * The group writes a unit of work may hold (unitOfWork.ts). Sessions and users that move with a
 * membership change are SessionWrite and UserWrite steps of the same unit.
 */
export type GroupWrite =
  /** Inserts the group and its provider's membership; changes nothing when the name is taken or the provider is a member of a group. */
  | { readonly write: 'insertGroup'; readonly group: GroupRecord }
  /** Inserts a subscriber; changes nothing when the application is a member of a group already. */
  | { readonly write: 'insertGroupMember'; readonly member: GroupMemberRecord }
  /** Deletes a subscriber's membership (never the provider's); changes nothing when it is not one. */
  | { readonly write: 'deleteGroupMember'; readonly groupName: string; readonly applicationId: string }
  /** Deletes the group with every membership; changes nothing when there is no such group. */
  | { readonly write: 'deleteGroup'; readonly name: string };

export interface GroupStore {
  /** The group of the application, or null when it is ungrouped (the default set). */
  groupOfApplication(applicationId: string): Promise<GroupMembership | null>;
  /** The members of the group, the provider first, then by application id; empty when there is no such group. */
  listGroupMembers(groupName: string): Promise<{ applicationId: string; role: GroupRole }[]>;
  getGroup(name: string): Promise<GroupRecord | null>;
  /** Every group with its member count, by name. */
  listGroups(): Promise<GroupSummary[]>;
  /** Every membership of every group, by group then application id (exports, `ssod applications`). */
  listGroupMemberships(): Promise<GroupMemberRecord[]>;
  /**
   * Whether some registered application with exactly this url belongs to the set: the group's, or
   * with null the default set of ungrouped applications (the relay gives a session's id only to its set).
   */
  hasApplicationUrlInSet(url: string, groupName: string | null): Promise<boolean>;
  /**
   * The group of an application with exactly this url (the first by name when members of several
   * groups share it); null when none of them is grouped.
   */
  groupOfApplicationUrl(url: string): Promise<string | null>;
}
