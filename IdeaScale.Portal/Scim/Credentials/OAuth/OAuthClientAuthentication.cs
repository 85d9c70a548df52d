namespace IdeaScale.Portal.Scim.Credentials.OAuth;

/// <summary>
/// Per token request: how the client authenticated, read by <see cref="OAuthTokenEndpoint"/> to bind the access token
/// to it: which of its secrets (set by <see cref="ScimOAuthApplicationManager"/> when OpenIddict validates the secret),
/// or which federation settings validated its client assertion (set by <see cref="FederatedClientAssertion"/>).
/// </summary>
public sealed class OAuthClientAuthentication
{
    public Guid? SecretId { get; set; }

    public Guid? FederationId { get; set; }
}
