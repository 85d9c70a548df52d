using System.Security.Claims;

using IdeaScale.Portal.Scim.Credentials.AuthorizationCode;

using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;

using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;

using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdeaScale.Portal.Scim.Credentials.OAuth;

/// <summary>
/// The token endpoint's own step (OpenIddict passthrough): OpenIddict has already parsed the request, authenticated
/// the client (basic or post, <see cref="ScimOAuthApplicationManager"/>; or a federated client assertion,
/// <see cref="FederatedClientAssertion"/>) and checked its grant-type permission; this turns a client-credentials
/// request of a workspace client into an access token bound to that workspace and to the secret or federation
/// settings that authenticated it, and an authorization code or refresh token of a platform client (Okta; OpenIddict
/// has checked the code, PKCE verifier, redirect URI, rotation and reuse leeway) into tokens of the same grant, as
/// long as the grant exists.
/// Every refusal is a standard OAuth error that does not say which part was wrong.
/// </summary>
public static class OAuthTokenEndpoint
{
    /// <summary>Audience (resource) of every access token this server issues: only SCIM accepts them.</summary>
    public const string ScimAudience = "scim";

    /// <summary>The scope an IdP may ask for (optional).</summary>
    public const string ScimScope = "scim";

    public const string ClientClaim = "scim:oauth_client";
    public const string SecretClaim = "scim:oauth_secret";
    public const string FederationClaim = "scim:oauth_federation";

    /// <summary>The <see cref="ScimOAuthGrant"/> an authorization code grant's tokens belong to.</summary>
    public const string GrantClaim = "scim:oauth_grant";

    public static async Task<IResult> ExchangeAsync(HttpContext context, PortalDbContext db, OAuthClientAuthentication authentication)
    {
        var request = context.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenIddict server request cannot be retrieved.");
        if (request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType())
        {
            return await ExchangeGrantAsync(context, db, request);
        }

        if (!request.IsClientCredentialsGrantType())
        {
            return Refuse(OpenIddictConstants.Errors.UnsupportedGrantType, "The grant type is not supported.");
        }

        var client = await db.ScimOAuthClients.AsNoTracking().Where(c => c.ClientId == request.ClientId)
            .Select(c => new { c.Id, c.WorkspaceId })
            .FirstOrDefaultAsync(context.RequestAborted);
        if (client is null || (authentication.SecretId is null && authentication.FederationId is null))
        {
            return Refuse(OpenIddictConstants.Errors.InvalidClient, OAuthServerSetup.InvalidClientDescription);
        }

        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, request.ClientId);
        identity.SetClaim(ScimAuthenticationDefaults.WorkspaceIdClaim, client.WorkspaceId.ToString());
        identity.SetClaim(ClientClaim, client.Id.ToString());
        // The token stops when what obtained it goes: the secret, or the federation settings (ScimOAuthHandler).
        if (authentication.SecretId is { } secretId)
        {
            identity.SetClaim(SecretClaim, secretId.ToString());
        }
        else
        {
            identity.SetClaim(FederationClaim, authentication.FederationId!.Value.ToString());
        }

        identity.SetScopes(request.GetScopes());
        identity.SetResources(ScimAudience);
        identity.SetDestinations(_ => [Destinations.AccessToken]);
        return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    /// <summary>
    /// The code or refresh token's own claims (workspace, grant, scopes, authorization) are carried into the new
    /// tokens; a grant revoked meanwhile answers invalid_grant (OpenIddict has revoked its tokens too).
    /// </summary>
    private static async Task<IResult> ExchangeGrantAsync(HttpContext context, PortalDbContext db, OpenIddictRequest request)
    {
        var result = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        if (result.Principal is not { } principal
            || !Guid.TryParse(principal.GetClaim(GrantClaim), out var grantId)
            || !await OAuthGrants.ExistsAsync(db, grantId, request.ClientId, context.RequestAborted))
        {
            return Refuse(OpenIddictConstants.Errors.InvalidGrant, "The authorization grant is invalid, expired or revoked.");
        }

        var identity = new ClaimsIdentity(principal.Claims, TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetDestinations(_ => [Destinations.AccessToken]);
        return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static IResult Refuse(string error, string description) => Results.Forbid(
        new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }),
        [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}
