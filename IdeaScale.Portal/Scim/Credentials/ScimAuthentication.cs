using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Limits;
using IdeaScale.Portal.Scim.Tenancy;

using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Scim.Credentials;

/// <summary>
/// The SCIM access gate. Authenticates with the <see cref="ScimAuthenticationDefaults.Scheme"/> policy scheme
/// (which forwards to the scheme that reads the request's credentials) and challenges on failure (401). Then it
/// resolves the request's <see cref="ScimTenant"/> from the principal and applies the gating: SCIM answers only
/// while the workspace's SSO configuration is active and customer success has enabled SCIM; otherwise 403 with
/// the reason. Both flags come with the workspace facts authentication read (<see cref="ScimWorkspaceLookup"/>,
/// kept in <see cref="ScimAccessCache"/>, which every change to them clears), so switching either off stops the
/// token on the next request and switching it on restores it.
/// </summary>
public sealed class ScimAuthentication(RequestDelegate next)
{
    public const string SsoInactiveDetail = "SSO is not active for this workspace. SCIM provisioning requires an active single sign-on configuration.";
    public const string ScimDisabledDetail = "SCIM is disabled for this workspace. Its Customer Success Manager can enable it.";

    public async Task InvokeAsync(HttpContext context, ScimWorkspaceLookup workspaces, ScimTenant tenant, ScimRateLimiter rateLimiter)
    {
        var result = await context.AuthenticateAsync(ScimAuthenticationDefaults.Scheme);
        if (!result.Succeeded || !Guid.TryParse(result.Principal.FindFirst(ScimAuthenticationDefaults.WorkspaceIdClaim)?.Value, out var workspaceId))
        {
            await ChallengeAsync(context, rateLimiter);
            return;
        }

        var ws = await workspaces.GetAsync(workspaceId, context.Request.Host.Host, context.RequestAborted);
        if (ws is null)
        {
            await ChallengeAsync(context, rateLimiter);
            return;
        }

        context.User = result.Principal;
        _ = Guid.TryParse(result.Principal.FindFirst(ScimAuthenticationDefaults.CredentialIdClaim)?.Value, out var credentialId);
        tenant.Resolve(workspaceId, ws.Slug, ws.PublicUrl.TrimEnd('/') + ScimEndpoints.BasePath, credentialId);
        tenant.Client = ScimClients.Describe(context.Request) ?? "";

        if (!ws.SsoActive)
        {
            throw ScimException.Forbidden(SsoInactiveDetail);
        }

        if (!ws.ScimEnabled)
        {
            throw ScimException.Forbidden(ScimDisabledDetail);
        }

        await next(context);
    }

    /// <summary>401, unless the client IP has failed authentication too often: then 429 (per-IP limit, before the log records it).</summary>
    private static Task ChallengeAsync(HttpContext context, ScimRateLimiter rateLimiter)
    {
        rateLimiter.AcquireUnauthenticated(context.Connection.RemoteIpAddress?.ToString());
        return context.ChallengeAsync(ScimAuthenticationDefaults.Scheme);
    }
}
