using System.Collections.Immutable;
using System.Globalization;
using System.Security.Claims;

using IdeaScale.Portal.Scim.Credentials.OAuth;
using IdeaScale.Portal.Workspaces;

using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;

using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore.Models;

using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdeaScale.Portal.Scim.Credentials.AuthorizationCode;

/// <summary>A workspace the consent page offers; <see cref="Unavailable"/> says why it cannot be picked (null: it can).</summary>
public sealed record ConsentWorkspace(Guid Id, string Slug, string Name, string? Unavailable);

/// <summary>Whether a grant can still obtain tokens.</summary>
public enum OAuthGrantState
{
    /// <summary>Its refresh token (if it has one) is live.</summary>
    Active,

    /// <summary>Its refresh token was not used for the idle lifetime: the IdP must authenticate again.</summary>
    Expired,

    /// <summary>OpenIddict revoked its tokens (a used refresh token was replayed after the leeway): the IdP must authenticate again.</summary>
    Stopped,
}

/// <summary>One grant as the SCIM page shows it. Times are UTC.</summary>
public sealed record OAuthGrantView(
    Guid Id, string ClientDisplayName, string ClientId, string ConsentedBy, DateTime ConsentedAt, ScimLastUse? LastUse,
    OAuthGrantState State = OAuthGrantState.Active, DateTime? RefreshExpiresAt = null);

/// <summary>
/// The authorization code grant's workspace side: which workspaces an account may connect (those it administers,
/// with SCIM enabled and SSO active), the consent itself (an OpenIddict authorization, the <see cref="ScimOAuthGrant"/>
/// binding it to one workspace, and the audit row, in one transaction), the SCIM page's list of grants and revoking
/// one. Every access decision is re-read from the database, and every consent, revocation and refused attempt is
/// in the provisioning log with the acting account.
/// </summary>
public sealed class OAuthGrants(IServiceScopeFactory scopes, ScimCredentialUsage usage, TimeProvider time)
{
    /// <summary>The scopes a grant can carry; anything else requested is not granted.</summary>
    public static readonly ImmutableArray<string> GrantableScopes = [OAuthTokenEndpoint.ScimScope, Scopes.OfflineAccess];

    /// <summary>The workspaces the account administers, each with the reason it cannot be connected, if any.</summary>
    public async Task<IReadOnlyList<ConsentWorkspace>> WorkspacesForConsentAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var actor = await PortalActor.RequireAsync(db, user, ct);
        return await WorkspacesAsync(db, actor, ct);
    }

    private static async Task<IReadOnlyList<ConsentWorkspace>> WorkspacesAsync(PortalDbContext db, PortalActor actor, CancellationToken ct)
    {
        var rows = await db.WorkspaceAdmins.AsNoTracking().Where(a => a.UserId == actor.UserId)
            .Select(a => new
            {
                a.Workspace!.Id,
                a.Workspace.Slug,
                a.Workspace.Name,
                SsoActive = a.Workspace.Sso != null && a.Workspace.Sso.Active,
                ScimEnabled = a.Workspace.Scim != null && a.Workspace.Scim.Enabled,
            })
            .ToListAsync(ct);
        return
        [
            .. rows.OrderBy(w => w.Name, StringComparer.CurrentCultureIgnoreCase).Select(w => new ConsentWorkspace(w.Id, w.Slug, w.Name,
                !w.SsoActive ? "Single sign-on is not active." : !w.ScimEnabled ? "SCIM provisioning is not enabled." : null)),
        ];
    }

    /// <summary>
    /// Records the account's consent for <paramref name="clientId"/> to provision <paramref name="workspaceId"/> and
    /// returns the principal to sign in with OpenIddict (its tokens are bound to that workspace). A workspace the
    /// account may not connect is refused with <see cref="UnauthorizedAccessException"/> (audited when it exists).
    /// </summary>
    public async Task<ClaimsPrincipal> ConsentAsync(ClaimsPrincipal user, Guid workspaceId, string clientId, IEnumerable<string> requestedScopes, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<PortalDbContext>();
        var actor = await PortalActor.RequireAsync(db, user, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var workspace = (await WorkspacesAsync(db, actor, ct)).FirstOrDefault(w => w.Id == workspaceId);
        if (workspace is not { Unavailable: null })
        {
            if (await db.Workspaces.AnyAsync(w => w.Id == workspaceId, ct))
            {
                db.ProvisioningEvents.Add(ScimAdministration.Audit(workspaceId, actor, workspace is null ? ActorKind.System : ActorKind.WorkspaceAdmin,
                    ProvisioningOperation.OAuthGrantConsented, EventOutcome.Failure,
                    "Refused: " + (workspace?.Unavailable ?? "only administrators of this workspace can connect it."), now));
                await db.SaveChangesAsync(ct);
            }

            throw new UnauthorizedAccessException("You cannot connect that workspace.");
        }

        var applications = services.GetRequiredService<IOpenIddictApplicationManager>();
        var application = await applications.FindByClientIdAsync(clientId, ct)
            ?? throw new InvalidOperationException("The client is no longer registered.");
        var applicationId = (await applications.GetIdAsync(application, ct))!;
        var displayName = await applications.GetDisplayNameAsync(application, ct) ?? clientId;
        var granted = requestedScopes.Intersect(GrantableScopes, StringComparer.Ordinal).ToImmutableArray();

        var grant = new ScimOAuthGrant
        {
            WorkspaceId = workspaceId,
            ClientId = clientId,
            ClientDisplayName = displayName,
            AuthorizationId = "",
            ConsentedAt = now,
            ConsentedBy = actor.Email,
            ConsentedByUserId = actor.UserId,
        };
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, grant.Id.ToString());
        identity.SetClaim(ScimAuthenticationDefaults.WorkspaceIdClaim, workspaceId.ToString());
        identity.SetClaim(OAuthTokenEndpoint.GrantClaim, grant.Id.ToString());
        identity.SetScopes(granted);
        identity.SetResources(OAuthTokenEndpoint.ScimAudience);

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var authorizations = services.GetRequiredService<IOpenIddictAuthorizationManager>();
        var authorization = await authorizations.CreateAsync(identity, grant.Id.ToString(), applicationId, AuthorizationTypes.Permanent, granted, ct);
        grant.AuthorizationId = (await authorizations.GetIdAsync(authorization, ct))!;
        db.ScimOAuthGrants.Add(grant);
        db.ProvisioningEvents.Add(ScimAdministration.Audit(workspaceId, actor, ActorKind.WorkspaceAdmin, ProvisioningOperation.OAuthGrantConsented, EventOutcome.Success,
            $"{displayName} (client {clientId}) connected with OAuth; scopes: {(granted.IsEmpty ? "none" : string.Join(' ', granted))}.", now));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);

        identity.SetAuthorizationId(grant.AuthorizationId);
        identity.SetDestinations(_ => [Destinations.AccessToken]);
        return new ClaimsPrincipal(identity);
    }

    /// <summary>The workspace's grants, newest first (admins of the workspace and CustomerSuccess staff).</summary>
    public async Task<IReadOnlyList<OAuthGrantView>> ListAsync(ClaimsPrincipal user, string slug, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var actor = await PortalActor.RequireAsync(db, user, ct);
        var workspaceId = await db.Workspaces.Where(w => w.Slug == slug).Select(w => (Guid?)w.Id).FirstOrDefaultAsync(ct);
        if (workspaceId is not { } id || !(actor.IsCustomerSuccess || await actor.IsAdminOfAsync(db, id, ct)))
        {
            throw ScimAdministration.Denied();
        }

        var grants = await db.ScimOAuthGrants.AsNoTracking().Where(g => g.WorkspaceId == id).ToListAsync(ct);
        var authorizationIds = grants.Select(g => g.AuthorizationId).ToList();
        var stopped = (await db.Set<OpenIddictEntityFrameworkCoreAuthorization>().AsNoTracking()
            .Where(a => authorizationIds.Contains(a.Id!) && a.Status != Statuses.Valid).Select(a => a.Id!).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
        // Per grant: when its newest refresh token expires (rolling: the live one expires last), and whether any of them
        // is still unrevoked (a replay after the leeway makes OpenIddict revoke them all).
        var refreshTokens = await db.Set<OpenIddictEntityFrameworkCoreToken>().AsNoTracking()
            .Where(t => t.Authorization != null && authorizationIds.Contains(t.Authorization.Id!) && (t.Type == TokenTypeIdentifiers.RefreshToken || t.Type == TokenTypeHints.RefreshToken))
            .GroupBy(t => t.Authorization!.Id!)
            .Select(g => new { AuthorizationId = g.Key, ExpiresAt = g.Max(t => t.ExpirationDate), Unrevoked = g.Count(t => t.Status != Statuses.Revoked) })
            .ToDictionaryAsync(t => t.AuthorizationId, StringComparer.Ordinal, ct);
        var now = time.GetUtcNow().UtcDateTime;
        return
        [
            .. grants.OrderByDescending(g => g.ConsentedAt).Select(g =>
            {
                var use = new CredentialUse(g.LastUsedAt, g.LastUsedIp, g.LastUsedClient, null, null, null).Merge(usage.Pending(g.Id));
                var refresh = refreshTokens.GetValueOrDefault(g.AuthorizationId);
                var refreshExpiresAt = refresh?.ExpiresAt;
                var state = stopped.Contains(g.AuthorizationId) || refresh is { Unrevoked: 0 } ? OAuthGrantState.Stopped
                    : refreshExpiresAt is { } expires && expires <= now ? OAuthGrantState.Expired
                    : OAuthGrantState.Active;
                return new OAuthGrantView(g.Id, g.ClientDisplayName, g.ClientId, g.ConsentedBy, g.ConsentedAt,
                    use.LastUsedAt is { } at ? new ScimLastUse(at, use.LastUsedIp, use.LastUsedClient) : null, state, refreshExpiresAt);
            }),
        ];
    }

    /// <summary>
    /// Revokes a grant (admins of the workspace only; anyone else is refused and audited): its access tokens get 401
    /// on their next SCIM request (the row guards access) and its refresh tokens answer invalid_grant (OpenIddict's
    /// authorization and tokens are revoked).
    /// </summary>
    public async Task RevokeAsync(ClaimsPrincipal user, string slug, Guid grantId, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<PortalDbContext>();
        var actor = await PortalActor.RequireAsync(db, user, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var workspaceId = await db.Workspaces.Where(w => w.Slug == slug).Select(w => (Guid?)w.Id).FirstOrDefaultAsync(ct)
            ?? throw ScimAdministration.Denied();
        if (!await actor.IsAdminOfAsync(db, workspaceId, ct))
        {
            db.ProvisioningEvents.Add(ScimAdministration.Audit(workspaceId, actor, actor.IsCustomerSuccess ? ActorKind.CustomerSuccess : ActorKind.System,
                ProvisioningOperation.OAuthGrantRevoked, EventOutcome.Failure, "Refused: only administrators of this workspace can revoke its OAuth grants.", now));
            await db.SaveChangesAsync(ct);
            throw ScimAdministration.Denied();
        }

        var grant = await db.ScimOAuthGrants.FirstOrDefaultAsync(g => g.Id == grantId && g.WorkspaceId == workspaceId, ct)
            ?? throw new InvalidOperationException("That grant does not exist (any more).");

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var authorizations = services.GetRequiredService<IOpenIddictAuthorizationManager>();
        if (await authorizations.FindByIdAsync(grant.AuthorizationId, ct) is { } authorization)
        {
            await authorizations.TryRevokeAsync(authorization, ct);
        }

        await services.GetRequiredService<IOpenIddictTokenManager>().RevokeByAuthorizationIdAsync(grant.AuthorizationId, ct);
        db.ScimOAuthGrants.Remove(grant);
        db.ProvisioningEvents.Add(ScimAdministration.Audit(workspaceId, actor, ActorKind.WorkspaceAdmin, ProvisioningOperation.OAuthGrantRevoked, EventOutcome.Success,
            string.Create(CultureInfo.InvariantCulture, $"OAuth grant of {grant.ClientDisplayName} (consented by {grant.ConsentedBy} at {grant.ConsentedAt:u}) revoked; its tokens stop working at once."), now));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>Whether the grant still exists for the client (the token endpoint's check before a code or refresh token is exchanged).</summary>
    public static Task<bool> ExistsAsync(PortalDbContext db, Guid grantId, string? clientId, CancellationToken ct) =>
        db.ScimOAuthGrants.AsNoTracking().AnyAsync(g => g.Id == grantId && g.ClientId == clientId, ct);
}
