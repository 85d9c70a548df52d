namespace IdeaScale.Portal.Scim.Logging;

/// <summary>
/// What the current SCIM request did, filled in by the endpoint handlers and written to the provisioning log
/// (one <see cref="ProvisioningEvent"/> per request) when the request completes. Scoped per request.
/// The summary and details are redacted: they name changed attributes and their values, never passwords or tokens.
/// <see cref="Touch"/> names the resource before the write is saved, so a failed write (409) still says what it was about.
/// </summary>
public sealed class ScimRequestLog
{
    public string? ResourceType { get; private set; }
    public string? ResourceId { get; private set; }
    public ProvisioningOperation? Operation { get; private set; }
    public string? Summary { get; private set; }

    /// <summary>The userName or group displayName the request touched, as it was at the time.</summary>
    public string? Subject { get; private set; }

    public ProvisioningDetails? Details { get; private set; }

    public void Record(ProvisioningOperation operation, string resourceType, string? resourceId, string? summary = null)
    {
        Operation = operation;
        ResourceType = resourceType;
        ResourceId = resourceId;
        Summary = summary;
    }

    /// <summary>The story of a successful write: its summary line and its structured changes.</summary>
    public void Record(ProvisioningOperation operation, string resourceType, string resourceId, string subject, string summary, ProvisioningDetails? details)
    {
        Record(operation, resourceType, resourceId, summary);
        Subject = subject;
        Details = details;
    }

    /// <summary>Names the resource (and, for a unique attribute, the value that may collide) before the write is saved.</summary>
    public void Touch(string resourceType, string? resourceId, string subject, string? uniqueAttribute = null)
    {
        ResourceType = resourceType;
        ResourceId ??= resourceId;
        Subject = subject;
        if (uniqueAttribute is not null)
        {
            Details = (Details ?? new ProvisioningDetails()) with { ConflictAttribute = uniqueAttribute, ConflictValue = subject };
        }
    }
}
