using System.Security.Claims;
using System.Text.Encodings.Web;

using IdeaScale.Portal.Data.AccessChanges;
using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Tenancy;

using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

using OpenIddict.Validation.AspNetCore;

namespace IdeaScale.Portal.Scim.Credentials.OAuth;

/// <summary>
/// The SCIM scheme for OAuth 2.0 access tokens (RFC 6750 Bearer). OpenIddict's validation (local server integration)
/// checks the token: signature, issuer, expiry against the app's TimeProvider, and the "scim" audience. This handler
/// then checks, through <see cref="ScimAccessCache"/> (no query when cached), that the OAuth client the token was
/// issued to still exists, belongs to the token's workspace and still has the secret (or the unchanged federation
/// settings) that obtained the token.
/// Deleting the client or removing that secret bumps the access version (both tables guard access in the EF model),
/// which clears the cache on every instance before its next request, so the token is refused on the next request, without a token-table lookup per request. The workspace binding and the
/// SSO/SCIM gating are the same as for the secret token (<see cref="ScimAuthentication"/>).
/// </summary>
public sealed class ScimOAuthHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ScimAccessCache cache,
    AccessVersion accessVersion,
    ScimWorkspaceLookup workspaces) : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Request.Query.ContainsKey("access_token"))
        {
            return AuthenticateResult.Fail("Credentials in the query string are not accepted.");
        }

        // The SCIM branch runs no authentication middleware, which would let OpenIddict's validation handler start its
        // request transaction (it is an IAuthenticationRequestHandler); start it here, then authenticate.
        var handlers = Context.RequestServices.GetRequiredService<IAuthenticationHandlerProvider>();
        if (await handlers.GetHandlerAsync(Context, OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme) is IAuthenticationRequestHandler openIddict
            && await openIddict.HandleRequestAsync())
        {
            return AuthenticateResult.Fail("The access token request was handled by OpenIddict.");
        }

        var validated = await Context.AuthenticateAsync(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme);
        if (!validated.Succeeded)
        {
            return AuthenticateResult.Fail("Invalid or expired access token.");
        }

        var principal = validated.Principal;
        if (!Guid.TryParse(principal.FindFirst(ScimAuthenticationDefaults.WorkspaceIdClaim)?.Value, out var workspaceId)
            || !Guid.TryParse(principal.FindFirst(OAuthTokenEndpoint.ClientClaim)?.Value, out var clientId))
        {
            return AuthenticateResult.Fail("The access token is not a SCIM token.");
        }

        // Another instance may have removed the client or its secret, or switched SCIM or SSO off.
        await accessVersion.EnsureCurrentAsync(Context.RequestAborted);
        var client = await cache.GetOAuthClientAsync(clientId, () => LoadAsync(clientId));
        if (client is null || client.WorkspaceId != workspaceId || !SecretStillActive(principal, client))
        {
            return AuthenticateResult.Fail("The access token's client or secret was removed.");
        }

        var workspace = await workspaces.GetAsync(workspaceId, Request.Host.Host, Context.RequestAborted);
        if (workspace is null || !workspace.HostAllowed)
        {
            return AuthenticateResult.Fail("The access token does not belong to this host's workspace.");
        }

        var identity = new ClaimsIdentity(
            [
                new Claim(ScimAuthenticationDefaults.WorkspaceIdClaim, workspace.Id.ToString()),
                new Claim(ScimAuthenticationDefaults.WorkspaceSlugClaim, workspace.Slug),
                new Claim(ScimAuthenticationDefaults.CredentialIdClaim, client.Id.ToString()),
            ],
            Scheme.Name);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    /// <summary>The secret that obtained the token is still there and unexpired, or the federation settings that did are unchanged.</summary>
    private bool SecretStillActive(ClaimsPrincipal principal, ScimOAuthClientFacts client) =>
        Guid.TryParse(principal.FindFirst(OAuthTokenEndpoint.SecretClaim)?.Value, out var secretId)
            ? client.SecretExpiries.TryGetValue(secretId, out var expires) && expires > TimeProvider.GetUtcNow().UtcDateTime
            : Guid.TryParse(principal.FindFirst(OAuthTokenEndpoint.FederationClaim)?.Value, out var federationId)
              && client.FederationId == federationId;

    /// <summary>On a cache miss only.</summary>
    private async Task<ScimOAuthClientFacts?> LoadAsync(Guid clientId)
    {
        var db = Context.RequestServices.GetRequiredService<PortalDbContext>();
        var client = await db.ScimOAuthClients.AsNoTracking().Where(c => c.Id == clientId)
            .Select(c => new { c.Id, c.WorkspaceId, c.FederationId, Secrets = c.Secrets.Select(s => new { s.Id, s.ExpiresAt }).ToList() })
            .FirstOrDefaultAsync(Context.RequestAborted);
        return client is null ? null : new ScimOAuthClientFacts(client.Id, client.WorkspaceId, client.Secrets.ToDictionary(s => s.Id, s => s.ExpiresAt), client.FederationId);
    }

    /// <summary>401 with a SCIM error body and an RFC 6750 challenge naming the invalid token.</summary>
    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        ScimErrorHandling.WriteAsync(Context, ScimException.Unauthorized(ScimAuthenticationDefaults.FailureDetail).ToError(), [Challenge]);

    public static KeyValuePair<string, string[]> Challenge { get; } = new(
        "WWW-Authenticate", [$"Bearer realm=\"{ScimAuthenticationDefaults.Realm}\", error=\"invalid_token\""]);
}
