namespace IdeaScale.Portal.Data.Entities;

/// <summary>
/// Who acted. IdentityProvider rows are the SCIM request log; every other kind is an audit row, pruned on its own
/// schedule (Scim/Logging/ProvisioningLogRetention.cs lists the audit kinds: add a new kind there too).
/// </summary>
public enum ActorKind
{
    IdentityProvider = 1,
    WorkspaceAdmin = 2,
    CustomerSuccess = 3,
    System = 4,
}

/// <summary>What a provisioning event did. Stored as text so the log stays readable in SQL.</summary>
public enum ProvisioningOperation
{
    Read = 1,
    List = 2,
    Create = 3,
    Update = 4,
    Deactivate = 5,
    Reactivate = 6,
    Delete = 7,
    MembershipChange = 8,
    Discovery = 9,
    AuthenticationFailure = 10,
    TokenRegenerated = 20,
    TokenRevealed = 21,
    TokenCopied = 22,
    ScimEnabled = 23,
    ScimDisabled = 24,
    SsoUpdated = 25,
    SsoActivated = 26,
    SsoDeactivated = 27,
    CsmAssigned = 28,
    ConnectionTested = 29,
    OAuthClientCreated = 40,
    OAuthSecretAdded = 41,
    OAuthSecretRemoved = 42,
    OAuthClientDeleted = 43,
    OAuthGrantConsented = 44,
    OAuthGrantRevoked = 45,
    OAuthFederationSet = 50,
    OAuthFederationRemoved = 51,
}

public enum EventOutcome
{
    Success = 1,
    Failure = 2,
}

/// <summary>
/// Append-only audit of SCIM requests and of admin and customer-success actions. Summaries are redacted:
/// secrets and passwords never appear here.
/// </summary>
public sealed class ProvisioningEvent
{
    public long Id { get; set; }
    public Guid? WorkspaceId { get; set; }
    public DateTime OccurredAt { get; set; }

    public ActorKind ActorKind { get; set; }

    /// <summary>The acting account's email, or the IdP client ("Microsoft Entra ID", "Okta").</summary>
    public string Actor { get; set; } = "";

    public ProvisioningOperation Operation { get; set; }
    public EventOutcome Outcome { get; set; }

    public string? Method { get; set; }
    public string? Path { get; set; }
    public string? ResourceType { get; set; }
    public string? ResourceId { get; set; }
    public int? StatusCode { get; set; }
    public int? DurationMs { get; set; }
    public string? ClientIp { get; set; }

    /// <summary>Redacted, human-readable summary of what changed.</summary>
    public string? Summary { get; set; }

    /// <summary>What the write touched, named as it was at the time: the user's userName or the group's displayName.</summary>
    public string? Subject { get; set; }

    /// <summary>
    /// The structured story of the row, as JSON (Scim/Logging/ProvisioningDetails.cs): attribute changes before → after
    /// (secrets redacted), memberships added and removed by name, and the recorded facts of a failure (scimType,
    /// Retry-After, the conflicting attribute). Plain text on both providers.
    /// </summary>
    public string? Details { get; set; }
}
