namespace IdeaScale.Portal.Scim.Logging;

/// <summary>
/// What the current SCIM request did, filled in by the endpoint handlers and written to the provisioning log
/// (one <see cref="ProvisioningEvent"/> per request) when the request completes. Scoped per request.
/// The summary is redacted: it names changed attributes and ids, never passwords or tokens.
/// </summary>
public sealed class ScimRequestLog
{
    public string? ResourceType { get; private set; }
    public string? ResourceId { get; private set; }
    public ProvisioningOperation? Operation { get; private set; }
    public string? Summary { get; private set; }

    public void Record(ProvisioningOperation operation, string resourceType, string? resourceId, string? summary = null)
    {
        Operation = operation;
        ResourceType = resourceType;
        ResourceId = resourceId;
        Summary = summary;
    }
}
