using System.Globalization;
using System.Security.Claims;

using IdeaScale.Portal.Workspaces;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IdeaScale.Portal.Scim.Credentials.OAuth;

/// <summary>One secret of a client as the SCIM page shows it (never the secret itself).</summary>
public sealed record OAuthSecretView(Guid Id, string Hint, DateTime CreatedAt, string? CreatedBy, DateTime ExpiresAt);

/// <summary>The workspace's client-credentials client as the SCIM page shows it. Times are UTC.</summary>
public sealed record OAuthClientView(
    string ClientId, DateTime CreatedAt, string? CreatedBy, IReadOnlyList<OAuthSecretView> ActiveSecrets, ScimLastUse? LastUse,
    OAuthFederationSettings? Federation = null);

/// <summary>A secret in clear, shown once on the SCIM page.</summary>
public sealed record IssuedOAuthSecret(string ClientId, string Secret, DateTime ExpiresAt);

/// <summary>
/// The SCIM page's OAuth client actions: show (admins of the workspace and CustomerSuccess staff), create, add or
/// remove a secret, delete (admins of the workspace only, re-checked against the database on every call). Every
/// change and every refused attempt is in the provisioning log with the acting account, in the same transaction as
/// the change. Secrets are shown once: only OpenIddict's hash is kept, so they cannot be shown again.
/// </summary>
public sealed class OAuthClientAdministration(IServiceScopeFactory scopes, ScimCredentialUsage usage, IOptions<OAuthOptions> options, TimeProvider time)
{
    public int DefaultSecretLifetimeDays => Math.Clamp(options.Value.SecretLifetimeDays, 1, MaxSecretLifetimeDays);
    public int MaxSecretLifetimeDays => Math.Max(1, options.Value.MaxSecretLifetimeDays);

    public async Task<OAuthClientView?> GetAsync(ClaimsPrincipal user, string slug, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var actor = await PortalActor.RequireAsync(db, user, ct);
        var workspaceId = await db.Workspaces.Where(w => w.Slug == slug).Select(w => (Guid?)w.Id).FirstOrDefaultAsync(ct);
        if (workspaceId is not { } id || !(actor.IsCustomerSuccess || await actor.IsAdminOfAsync(db, id, ct)))
        {
            throw ScimAdministration.Denied();
        }

        var now = time.GetUtcNow().UtcDateTime;
        var client = await db.ScimOAuthClients.AsNoTracking().Include(c => c.Secrets).FirstOrDefaultAsync(c => c.WorkspaceId == id, ct);
        if (client is null)
        {
            return null;
        }

        var use = new CredentialUse(client.LastUsedAt, client.LastUsedIp, client.LastUsedClient, client.LastSuccessAt, client.LastFailureAt, client.LastFailureStatus)
            .Merge(usage.Pending(client.Id));
        return new OAuthClientView(
            client.ClientId, client.CreatedAt, client.CreatedBy,
            [.. client.Secrets.Where(s => s.ExpiresAt > now).OrderBy(s => s.CreatedAt).Select(s => new OAuthSecretView(s.Id, s.Hint, s.CreatedAt, s.CreatedBy, s.ExpiresAt))],
            use.LastUsedAt is { } at ? new ScimLastUse(at, use.LastUsedIp, use.LastUsedClient) : null,
            client is { FederationId: not null, FederationIssuer: { } issuer, FederationJwksUrl: { } jwks, FederationSubject: { } subject, FederationAudience: { } audience }
                ? new OAuthFederationSettings(issuer, jwks, subject, audience)
                : null);
    }

    /// <summary>
    /// Sets the workload identity federation settings (creating the workspace's client, without a secret, when there
    /// is none). Tokens obtained with earlier settings stop on their next request.
    /// </summary>
    public Task<string> SetFederationAsync(ClaimsPrincipal user, string slug, OAuthFederationSettings settings, CancellationToken ct = default) =>
        AsAdminAsync(user, slug, ProvisioningOperation.OAuthFederationSet, async (issuer, workspaceId, actor) =>
        {
            // Checked after the admin check, so a refused attempt is audited whatever it sent.
            var valid = settings.Validated(options.Value.Federation.AllowHttpJwks);
            var (client, created) = await issuer.SetFederationAsync(workspaceId, slug, actor, valid, ct);
            return (client.ClientId, string.Create(CultureInfo.InvariantCulture,
                $"Workload identity federation of OAuth client {client.ClientId}{(created ? " (created)" : "")} set: issuer {valid.Issuer}, subject {valid.Subject}, audience {valid.Audience}, JWKS {valid.JwksUrl}."));
        }, ct);

    /// <summary>Removes the federation settings; access tokens obtained by federation stop on their next request.</summary>
    public Task RemoveFederationAsync(ClaimsPrincipal user, string slug, CancellationToken ct = default) =>
        AsAdminAsync(user, slug, ProvisioningOperation.OAuthFederationRemoved, async (issuer, workspaceId, _) =>
        {
            var client = await issuer.RemoveFederationAsync(workspaceId, ct);
            return (true, $"Workload identity federation of OAuth client {client.ClientId} removed; the access tokens it obtained stop working at once.");
        }, ct);

    /// <summary>Creates the workspace's client with a first secret valid for <paramref name="lifetimeDays"/> (1 day to 3 years).</summary>
    public Task<IssuedOAuthSecret> CreateAsync(ClaimsPrincipal user, string slug, int lifetimeDays, CancellationToken ct = default) =>
        AsAdminAsync(user, slug, ProvisioningOperation.OAuthClientCreated, async (issuer, workspaceId, actor) =>
        {
            var lifetime = Lifetime(lifetimeDays);
            var (client, secret) = await issuer.CreateClientAsync(workspaceId, slug, actor, lifetime, ct: ct);
            var expires = client.Secrets[0].ExpiresAt;
            return (new IssuedOAuthSecret(client.ClientId, secret, expires),
                string.Create(CultureInfo.InvariantCulture, $"OAuth client {client.ClientId} created; its secret …{client.Secrets[0].Hint} expires {expires:u}."));
        }, ct);

    /// <summary>Adds a second secret for a rotation (at most two active).</summary>
    public Task<IssuedOAuthSecret> AddSecretAsync(ClaimsPrincipal user, string slug, int lifetimeDays, CancellationToken ct = default) =>
        AsAdminAsync(user, slug, ProvisioningOperation.OAuthSecretAdded, async (issuer, workspaceId, actor) =>
        {
            var (row, secret) = await issuer.AddSecretAsync(workspaceId, actor, Lifetime(lifetimeDays), ct);
            var clientId = await issuer.ClientIdAsync(workspaceId, ct);
            return (new IssuedOAuthSecret(clientId, secret, row.ExpiresAt),
                string.Create(CultureInfo.InvariantCulture, $"OAuth client secret …{row.Hint} added to {clientId}; it expires {row.ExpiresAt:u}."));
        }, ct);

    /// <summary>Removes one secret; its access tokens stop on their next request.</summary>
    public Task RemoveSecretAsync(ClaimsPrincipal user, string slug, Guid secretId, CancellationToken ct = default) =>
        AsAdminAsync(user, slug, ProvisioningOperation.OAuthSecretRemoved, async (issuer, workspaceId, _) =>
        {
            var removed = await issuer.RemoveSecretAsync(workspaceId, secretId, ct);
            return (true, $"OAuth client secret …{removed.Hint} removed; tokens it obtained stop working at once.");
        }, ct);

    /// <summary>Deletes the client; every access token issued to it stops on its next request.</summary>
    public Task DeleteAsync(ClaimsPrincipal user, string slug, CancellationToken ct = default) =>
        AsAdminAsync(user, slug, ProvisioningOperation.OAuthClientDeleted, async (issuer, workspaceId, _) =>
        {
            var client = await issuer.DeleteClientAsync(workspaceId, ct);
            return (true, $"OAuth client {client.ClientId} deleted; its access tokens stop working at once.");
        }, ct);

    private TimeSpan Lifetime(int days) => days < 1 || days > MaxSecretLifetimeDays
        ? throw new InvalidOperationException($"A secret's lifetime is 1 to {MaxSecretLifetimeDays} days.")
        : TimeSpan.FromDays(days);

    /// <summary>
    /// Runs <paramref name="action"/> for an admin of the workspace in one transaction with its audit row. Anyone else
    /// gets <see cref="UnauthorizedAccessException"/> and the refused attempt is audited.
    /// </summary>
    private async Task<T> AsAdminAsync<T>(
        ClaimsPrincipal user, string slug, ProvisioningOperation operation,
        Func<OAuthClientIssuer, Guid, string, Task<(T Result, string Summary)>> action, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var actor = await PortalActor.RequireAsync(db, user, ct);
        var workspaceId = await db.Workspaces.Where(w => w.Slug == slug).Select(w => (Guid?)w.Id).FirstOrDefaultAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        if (workspaceId is not { } id)
        {
            throw ScimAdministration.Denied();
        }

        if (!await actor.IsAdminOfAsync(db, id, ct))
        {
            db.ProvisioningEvents.Add(ScimAdministration.Audit(id, actor, actor.IsCustomerSuccess ? ActorKind.CustomerSuccess : ActorKind.System, operation,
                EventOutcome.Failure, "Refused: only administrators of this workspace can manage its OAuth client.", now));
            await db.SaveChangesAsync(ct);
            throw ScimAdministration.Denied();
        }

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var (result, summary) = await action(scope.ServiceProvider.GetRequiredService<OAuthClientIssuer>(), id, actor.Email);
        db.ProvisioningEvents.Add(ScimAdministration.Audit(id, actor, ActorKind.WorkspaceAdmin, operation, EventOutcome.Success, summary, now));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return result;
    }
}
