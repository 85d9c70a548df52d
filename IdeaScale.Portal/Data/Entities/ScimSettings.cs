namespace IdeaScale.Portal.Data.Entities;

/// <summary>Per-workspace SCIM switch. Only customer-success staff change <see cref="Enabled"/>.</summary>
public sealed class ScimSettings
{
    public Guid WorkspaceId { get; set; }
    public Workspace? Workspace { get; set; }

    public bool Enabled { get; set; }
    public DateTime? EnabledChangedAt { get; set; }
    public string? EnabledChangedBy { get; set; }

    /// <summary>Why SCIM was last disabled (required when a CSM disables it); cleared when it is enabled again.</summary>
    public string? DisabledReason { get; set; }

    public List<ScimCredential> Credentials { get; set; } = [];
}

/// <summary>
/// One SCIM secret token. A workspace has one current credential (<see cref="CurrentWorkspaceId"/> set,
/// <see cref="ExpiresAt"/> null) and, during a rotation grace period, the previous one with <see cref="ExpiresAt"/>
/// set and <see cref="CurrentWorkspaceId"/> null. The database enforces both (a unique index and a check constraint,
/// see ScimCredentialConfiguration).
/// The raw token is never stored: only its SHA-256 hash (for lookup) and a Data Protection-encrypted copy
/// (so the admin can copy it again).
/// </summary>
public sealed class ScimCredential
{
    public Guid Id { get; set; } = Guid.NewGuid();
    public Guid WorkspaceId { get; set; }
    public ScimSettings? Settings { get; set; }

    /// <summary>
    /// The workspace's id while this is its current credential; null once replaced. Unique, so a workspace can have
    /// at most one current credential: NULLs never collide in a unique index, on SQLite and PostgreSQL alike, so no
    /// provider-specific index filter is needed.
    /// </summary>
    public Guid? CurrentWorkspaceId { get; set; }

    /// <summary>Lower-case hex SHA-256 of the token; unique.</summary>
    public required string TokenHash { get; set; }
    public required string ProtectedToken { get; set; }

    public DateTime CreatedAt { get; set; }
    public string? CreatedBy { get; set; }

    /// <summary>Null for the current token; the end of the grace period for a replaced one.</summary>
    public DateTime? ExpiresAt { get; set; }

    public DateTime? LastUsedAt { get; set; }
    public string? LastUsedIp { get; set; }
    public string? LastUsedUserAgent { get; set; }
    public DateTime? LastSuccessAt { get; set; }
    public DateTime? LastFailureAt { get; set; }
    public int? LastFailureStatus { get; set; }
}
