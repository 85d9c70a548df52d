namespace IdeaScale.Portal.Data.Entities;

/// <summary>A customer workspace (community). Everything SCIM provisions belongs to exactly one.</summary>
public sealed class Workspace
{
    public Guid Id { get; set; } = Guid.NewGuid();
    public required string Name { get; set; }

    /// <summary>Short unique key used in portal routes and as the HTTP Basic user name for SCIM.</summary>
    public required string Slug { get; set; }

    /// <summary>The workspace's public URL, for example https://ides.ideascale.com. SCIM lives at PublicUrl + "/scim/v2".</summary>
    public required string PublicUrl { get; set; }

    /// <summary>
    /// Host of <see cref="PublicUrl"/> in the form of <see cref="NormaliseHost"/>, indexed, for binding a SCIM
    /// request's Host to its workspace. Set from <see cref="PublicUrl"/> on every save (AuditStampInterceptor).
    /// </summary>
    public string Host { get; set; } = "";

    public DateTime Created { get; set; }

    /// <summary>The customer-success manager assigned to this workspace, if any.</summary>
    public string? CustomerSuccessManagerId { get; set; }
    public PortalUser? CustomerSuccessManager { get; set; }

    public SsoConfiguration? Sso { get; set; }
    public ScimSettings? Scim { get; set; }
    public List<WorkspaceAdmin> Admins { get; set; } = [];

    public string ScimBaseUrl => PublicUrl.TrimEnd('/') + "/scim/v2";

    private static readonly System.Globalization.IdnMapping Idn = new();

    /// <summary>
    /// The one form in which hosts are compared: without the trailing dot(s) of a fully-qualified name
    /// ("acme.localhost." is "acme.localhost"), lower case, and an internationalised name in its ASCII (punycode)
    /// form ("Bücher.example" is "xn--bcher-kva.example"). A host IdnMapping refuses (empty labels, invalid code
    /// points) is only lower-cased and trimmed, so it matches no workspace.
    /// </summary>
    public static string NormaliseHost(string host)
    {
        var trimmed = host.Trim().TrimEnd('.');
        if (trimmed.Length > 0 && trimmed.AsSpan().ContainsAnyExceptInRange('\u0000', '\u007f'))
        {
            try
            {
                trimmed = Idn.GetAscii(trimmed);
            }
            catch (ArgumentException)
            {
                // Not a valid IDN: left as it is (lower-cased below).
            }
        }

        return trimmed.ToLowerInvariant();
    }
}

/// <summary>Membership that makes a portal account an administrator of one workspace.</summary>
public sealed class WorkspaceAdmin
{
    public Guid WorkspaceId { get; set; }
    public Workspace? Workspace { get; set; }
    public required string UserId { get; set; }
    public PortalUser? User { get; set; }
    public DateTime Created { get; set; }
}
