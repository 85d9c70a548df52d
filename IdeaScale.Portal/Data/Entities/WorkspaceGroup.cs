namespace IdeaScale.Portal.Data.Entities;

/// <summary>A SCIM Group of a workspace.</summary>
public sealed class WorkspaceGroup : IScimResource
{
    public Guid Id { get; set; } = Guid.NewGuid();
    public Guid WorkspaceId { get; set; }
    public Workspace? Workspace { get; set; }

    public required string DisplayName { get; set; }

    /// <summary>Upper-invariant <see cref="DisplayName"/>; unique per workspace.</summary>
    public string NormalizedDisplayName { get; set; } = "";

    public string? ExternalId { get; set; }

    public DateTime Created { get; set; }
    public DateTime LastModified { get; set; }
    public long Version { get; set; }
}

public enum GroupMemberType
{
    User = 1,
    Group = 2,
}

/// <summary>
/// One member of a group, keyed by (group, member): adding or removing a member touches one row and
/// never rewrites the others. A member is a workspace user or another group of the same workspace.
/// </summary>
public sealed class GroupMembership
{
    public Guid GroupId { get; set; }
    public Guid MemberId { get; set; }
    public GroupMemberType MemberType { get; set; }
    public Guid WorkspaceId { get; set; }
    public DateTime Created { get; set; }
}
