using IdeaScale.Portal.Scim.Credentials;
using IdeaScale.Portal.Scim.Credentials.Tokens;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Scim.Tenancy;

/// <summary>What authentication and gating need to know about the request's workspace.</summary>
/// <param name="HostAllowed">The request's host is this workspace's own host, or no workspace's host (workspace binding).</param>
public sealed record ScimWorkspaceFacts(Guid Id, string Slug, string PublicUrl, bool SsoActive, bool ScimEnabled, bool HostAllowed);

/// <summary>
/// Reads <see cref="ScimWorkspaceFacts"/> through <see cref="ScimAccessCache"/> (one query when they are not in
/// memory) and keeps them for the rest of the request (scoped): <see cref="ScimTokenHandler"/> (slug, host
/// binding) and <see cref="ScimAuthentication"/> (gating) share the read. Switching SCIM or SSO off clears the
/// cache, so it still stops the next request at once.
/// </summary>
public sealed class ScimWorkspaceLookup(IServiceProvider services, ScimAccessCache cache)
{
    private (Guid WorkspaceId, string Host, ScimWorkspaceFacts? Facts)? read;

    public async Task<ScimWorkspaceFacts?> GetAsync(Guid workspaceId, string requestHost, CancellationToken ct)
    {
        // Trailing dot, case and IDN form normalised like Workspace.Host: "ACME.localhost." is acme's host.
        var host = Workspace.NormaliseHost(requestHost);
        if (read is { } r && r.WorkspaceId == workspaceId && r.Host == host)
        {
            return r.Facts;
        }

        var facts = await cache.GetWorkspaceAsync(workspaceId, host, () => LoadAsync(workspaceId, host, ct));
        read = (workspaceId, host, facts);
        return facts;
    }

    /// <summary>On a cache miss only: a request answered from the cache rents no DbContext.</summary>
    private Task<ScimWorkspaceFacts?> LoadAsync(Guid workspaceId, string host, CancellationToken ct)
    {
        var db = services.GetRequiredService<PortalDbContext>();
        return db.Workspaces.AsNoTracking().Where(w => w.Id == workspaceId)
            .Select(w => new ScimWorkspaceFacts(
                w.Id,
                w.Slug,
                w.PublicUrl,
                w.Sso != null && w.Sso.Active,
                w.Scim != null && w.Scim.Enabled,
                w.Host == host || !db.Workspaces.Any(other => other.Host == host)))
            .FirstOrDefaultAsync(ct);
    }
}
