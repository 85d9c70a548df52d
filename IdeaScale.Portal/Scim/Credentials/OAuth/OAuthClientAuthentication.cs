namespace IdeaScale.Portal.Scim.Credentials.OAuth;

/// <summary>
/// Per token request: which of the client's secrets authenticated it (set by <see cref="ScimOAuthApplicationManager"/>
/// when OpenIddict validates the secret, read by <see cref="OAuthTokenEndpoint"/> to bind the access token to it).
/// </summary>
public sealed class OAuthClientAuthentication
{
    public Guid? SecretId { get; set; }
}
