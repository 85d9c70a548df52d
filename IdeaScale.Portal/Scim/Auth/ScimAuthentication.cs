using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Workspaces;
using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Scim.Auth;

/// <summary>
/// Resolves the request's workspace from its Bearer token. (Interim: the full access-control design with HTTP
/// Basic, gating, host binding and rate limits replaces this.)
/// </summary>
public sealed class ScimAuthentication(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context, ScimCredentials credentials, PortalDbContext db, ScimTenant tenant)
    {
        var header = context.Request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        var credential = header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase)
            ? await credentials.FindAsync(header[bearer.Length..].Trim(), context.RequestAborted)
            : null;
        if (credential is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"SCIM\"";
            throw ScimException.Unauthorized("Authentication is required: send the workspace's SCIM token.");
        }

        var ws = await db.Workspaces.AsNoTracking().Where(w => w.Id == credential.WorkspaceId)
            .Select(w => new { w.Id, w.Slug, w.PublicUrl }).SingleAsync(context.RequestAborted);
        tenant.Resolve(ws.Id, ws.Slug, ws.PublicUrl.TrimEnd('/') + ScimEndpoints.BasePath, credential.Id);
        await next(context);
    }
}
