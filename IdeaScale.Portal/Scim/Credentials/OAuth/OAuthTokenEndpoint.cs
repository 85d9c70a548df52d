using System.Security.Claims;


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
/// settings that authenticated it.
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

    public static async Task<IResult> ExchangeAsync(HttpContext context, PortalDbContext db, OAuthClientAuthentication authentication)
    {
        var request = context.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenIddict server request cannot be retrieved.");
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

    private static IResult Refuse(string error, string description) => Results.Forbid(
        new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }),
        [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}
