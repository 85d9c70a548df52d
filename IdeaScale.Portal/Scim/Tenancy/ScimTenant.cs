namespace IdeaScale.Portal.Scim.Tenancy;

/// <summary>
/// The workspace a SCIM request acts for, resolved from its credential. Every SCIM query starts from
/// <see cref="WorkspaceId"/>; nothing of another workspace is reachable.
/// </summary>
public sealed class ScimTenant
{
    private Guid? workspaceId;

    public Guid WorkspaceId => workspaceId ?? throw new InvalidOperationException("The SCIM request has no authenticated workspace.");
    public bool IsResolved => workspaceId is not null;
    public string Slug { get; private set; } = "";

    /// <summary>Absolute SCIM base URL of the workspace, e.g. https://ides.ideascale.com/scim/v2 (used for meta.location).</summary>
    public string BaseUrl { get; private set; } = "";

    public Guid CredentialId { get; private set; }

    /// <summary>The calling identity provider as recognised from the request ("Microsoft Entra ID", "Okta", or the raw agent).</summary>
    public string Client { get; set; } = "";

    public void Resolve(Guid workspace, string slug, string baseUrl, Guid credentialId)
    {
        workspaceId = workspace;
        Slug = slug;
        BaseUrl = baseUrl.TrimEnd('/');
        CredentialId = credentialId;
    }
}
