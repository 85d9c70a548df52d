using IdeaScale.Portal.Scim.Tenancy;

namespace IdeaScale.Portal.Scim.Credentials;

/// <summary>
/// Scheme and claim names of SCIM authentication. <see cref="Scheme"/> is a policy scheme that forwards each
/// request to the scheme able to read its Authorization header: <see cref="TokenScheme"/> (the workspace token as
/// Bearer or Basic) or <see cref="OAuthScheme"/> (an OAuth 2.0 access token, Scim/Credentials). Whatever scheme
/// authenticates must produce a principal with <see cref="WorkspaceIdClaim"/>; <see cref="ScimAuthentication"/>
/// turns that into the request's <see cref="ScimTenant"/> and applies the gating.
/// </summary>
public static class ScimAuthenticationDefaults
{
    public const string Scheme = "Scim";
    public const string TokenScheme = "ScimToken";
    public const string OAuthScheme = "ScimOAuth";
    public const string Realm = "SCIM";

    public const string WorkspaceIdClaim = "scim:workspace_id";
    public const string WorkspaceSlugClaim = "scim:workspace_slug";

    /// <summary>The <see cref="ScimCredential"/> used, when the scheme is token based (for last-use tracking).</summary>
    public const string CredentialIdClaim = "scim:credential_id";

    /// <summary>
    /// The one answer to every authentication failure. It deliberately does not say which part was wrong
    /// (scheme, slug, token, host, expiry).
    /// </summary>
    public const string FailureDetail =
        "Authentication failed. Send the workspace's SCIM token as 'Authorization: Bearer <token>', use HTTP Basic with the workspace slug as user name and the token as password, or send an OAuth 2.0 access token of the workspace's client as 'Authorization: Bearer <access token>'.";
}
