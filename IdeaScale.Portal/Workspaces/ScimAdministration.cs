using System.Globalization;
using System.Security.Claims;

using IdeaScale.Portal.Scim.Credentials;
using IdeaScale.Portal.Scim.Credentials.Tokens;
using IdeaScale.Portal.Scim.Logging;
using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Workspaces.ProvisioningHealth;

using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Workspaces;

/// <summary>How long the previous token keeps working after a regeneration.</summary>
public enum TokenGracePeriod
{
    None = 0,
    OneHour = 1,
    TwentyFourHours = 24,
}

/// <summary>Which of the SCIM page's three states applies.</summary>
public enum ScimAvailability
{
    SsoInactive,
    ScimDisabled,
    Enabled,
}

/// <summary>The last request that used one of the workspace's tokens.</summary>
public sealed record ScimLastUse(DateTime At, string? Ip, string? Client);

/// <summary>Everything the SCIM page shows about a workspace. Times are UTC.</summary>
public sealed record ScimStatus(
    Guid WorkspaceId,
    string Slug,
    string WorkspaceName,
    bool SsoActive,
    bool ScimEnabled,
    DateTime? ScimEnabledChangedAt,
    string? ScimEnabledChangedBy,
    string BaseUrl,
    Guid? TokenId,
    DateTime? TokenCreatedAt,
    string? TokenCreatedBy,
    DateTime? PreviousTokenExpiresAt,
    ScimLastUse? LastUse,
    DateTime? LastSuccessAt,
    DateTime? LastFailureAt,
    int? LastFailureStatus,
    WorkspaceHealth Health,
    string? CsmName,
    string? CsmEmail,
    bool CanManageToken,
    bool CanToggleScim,
    string? ScimDisabledReason = null)
{
    public ScimAvailability Availability => !SsoActive ? ScimAvailability.SsoInactive : !ScimEnabled ? ScimAvailability.ScimDisabled : ScimAvailability.Enabled;
}

/// <summary>A freshly issued token, shown once prominently. <see cref="PreviousTokenExpiresAt"/> is set when a grace period was chosen.</summary>
public sealed record IssuedScimToken(string Token, DateTime CreatedAt, DateTime? PreviousTokenExpiresAt);

/// <summary>
/// One row of the customer-success console. <see cref="CanToggleScim"/>: the viewer is the assigned CSM or a lead
/// (the server checks again on every switch).
/// </summary>
public sealed record ScimWorkspaceOverview(
    Guid WorkspaceId, string Slug, string Name, bool SsoActive, bool ScimEnabled, DateTime? LastActivityAt, string? CsmName, string? CsmEmail,
    string? CsmId = null, bool CanToggleScim = false,
    DateTime? ScimChangedAt = null, string? ScimChangedBy = null, string? ScimDisabledReason = null, WorkspaceHealth? Health = null);

/// <summary>A customer-success account a lead can assign to a workspace.</summary>
public sealed record CustomerSuccessManager(string Id, string DisplayName, string Email);

/// <summary>
/// The portal's SCIM actions: status, reveal/copy, regenerate (workspace admins of that workspace), and
/// enable/disable (the workspace's assigned Customer Success Manager, or a CustomerSuccessLead), CSM assignment
/// (CustomerSuccessLead only). Every method re-checks authorization on the server against the
/// database, so a crafted call from a page that hides the control is still refused with
/// <see cref="UnauthorizedAccessException"/>. Every change of access is audited as a <see cref="ProvisioningEvent"/>
/// with the acting account, in the same transaction as the change.
/// </summary>
public sealed class ScimAdministration(
    IDbContextFactory<PortalDbContext> dbFactory,
    IDataProtectionProvider protection,
    ScimCredentialUsage usage,
    WorkspaceHealthQuery health,
    TimeProvider time)
{
    /// <summary>Status for the SCIM page. Allowed for admins of the workspace and CustomerSuccess staff.</summary>
    public async Task<ScimStatus> GetStatusAsync(ClaimsPrincipal user, string slug, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var actor = await PortalActor.RequireAsync(db, user, ct);
        var ws = await db.Workspaces.AsNoTracking().Where(w => w.Slug == slug)
            .Select(w => new
            {
                w.Id,
                w.Slug,
                w.Name,
                w.PublicUrl,
                SsoActive = w.Sso != null && w.Sso.Active,
                ScimEnabled = w.Scim != null && w.Scim.Enabled,
                ChangedAt = w.Scim != null ? w.Scim.EnabledChangedAt : null,
                ChangedBy = w.Scim != null ? w.Scim.EnabledChangedBy : null,
                DisabledReason = w.Scim != null ? w.Scim.DisabledReason : null,
                CsmName = w.CustomerSuccessManager != null ? w.CustomerSuccessManager.DisplayName : null,
                CsmEmail = w.CustomerSuccessManager != null ? w.CustomerSuccessManager.Email : null,
                CsmId = w.CustomerSuccessManagerId,
            })
            .FirstOrDefaultAsync(ct);
        var isAdmin = ws is not null && await actor.IsAdminOfAsync(db, ws.Id, ct);
        if (ws is null || !(isAdmin || actor.IsCustomerSuccess))
        {
            throw Denied();
        }

        var now = time.GetUtcNow().UtcDateTime;
        var credentials = (await db.ScimCredentials.AsNoTracking().Where(c => c.WorkspaceId == ws.Id).ToListAsync(ct))
            .Where(c => c.ExpiresAt is null || c.ExpiresAt > now)
            .ToList();
        var current = credentials.FirstOrDefault(c => c.ExpiresAt is null);
        var previousExpiry = credentials.Where(c => c.ExpiresAt is not null).Max(c => c.ExpiresAt);

        // Database facts merged with the not-yet-flushed observations of every live token.
        var uses = credentials.Select(c => CredentialUse.From(c).Merge(usage.Pending(c.Id))).ToList();
        var lastUse = uses.Where(u => u.LastUsedAt is not null).MaxBy(u => u.LastUsedAt);
        var lastSuccess = uses.Max(u => u.LastSuccessAt);
        var lastFailure = uses.Where(u => u.LastFailureAt is not null).MaxBy(u => u.LastFailureAt);

        // The connection status over the recent window of requests (Workspaces/ProvisioningHealth).
        var connection = await health.ForAsync(db, ws.Id, ct);

        return new ScimStatus(
            ws.Id, ws.Slug, ws.Name, ws.SsoActive, ws.ScimEnabled, ws.ChangedAt, ws.ChangedBy,
            ws.PublicUrl.TrimEnd('/') + ScimConstants.BasePath,
            current?.Id, current?.CreatedAt, current?.CreatedBy, previousExpiry,
            lastUse is null ? null : new ScimLastUse(lastUse.LastUsedAt!.Value, lastUse.LastUsedIp, lastUse.LastUsedClient),
            lastSuccess, lastFailure?.LastFailureAt, lastFailure?.LastFailureStatus,
            connection, ws.CsmName, ws.CsmEmail,
            CanManageToken: isAdmin, CanToggleScim: actor.MayToggleScim(ws.CsmId), ScimDisabledReason: ws.ScimEnabled ? null : ws.DisabledReason);
    }

    /// <summary>
    /// Replaces the workspace's token (admins of the workspace only; anyone else's attempt is refused and audited).
    /// <paramref name="replacing"/> is the token the admin saw as current (<see cref="ScimStatus.TokenId"/>): exactly
    /// that token stops at once, or at the end of <paramref name="grace"/>. When it is no longer current (another admin
    /// or tab regenerated first) nothing changes, the attempt is audited as refused and
    /// <see cref="ScimTokenConflictException"/> says who regenerated it and when. Audited as TokenRegenerated.
    /// Returns the new token in clear.
    /// </summary>
    public async Task<IssuedScimToken> RegenerateTokenAsync(
        ClaimsPrincipal user, string slug, TokenGracePeriod grace, Guid? replacing, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (actor, workspaceId) = await RequireAdminAsync(db, user, slug, ProvisioningOperation.TokenRegenerated, ct);
        var graceSpan = grace == TokenGracePeriod.None ? (TimeSpan?)null : TimeSpan.FromHours((int)grace);
        var now = time.GetUtcNow().UtcDateTime;
        var summary = graceSpan is { } g
            ? string.Create(CultureInfo.InvariantCulture, $"New SCIM token issued; the previous token works until {now + g:u}.")
            : "New SCIM token issued; the previous token stopped working immediately.";
        db.ProvisioningEvents.Add(Audit(workspaceId, actor, ActorKind.WorkspaceAdmin, ProvisioningOperation.TokenRegenerated, EventOutcome.Success, summary, now));

        try
        {
            // IssueAsync saves the new credential, the grace expiry and the audit row in one transaction.
            var (token, credential) = await new ScimCredentials(db, protection, time).IssueAsync(workspaceId, actor.Email, replacing, graceSpan, ct: ct);
            return new IssuedScimToken(token, credential.CreatedAt, graceSpan is { } span ? now + span : null);
        }
        catch (ScimTokenConflictException conflict)
        {
            // Lost the race: nothing of it was saved. Say who won, and keep the attempt on record.
            db.ChangeTracker.Clear();
            var winner = await db.ScimCredentials.AsNoTracking().Where(c => c.WorkspaceId == workspaceId && c.CurrentWorkspaceId == workspaceId)
                .Select(c => new { c.CreatedAt, c.CreatedBy }).FirstOrDefaultAsync(ct);
            var message = winner is null
                ? "The SCIM token was changed by someone else while you were confirming. Nothing was changed; check the token shown now."
                : string.Create(CultureInfo.InvariantCulture,
                    $"{winner.CreatedBy ?? "Someone else"} regenerated the SCIM token at {winner.CreatedAt:yyyy-MM-dd HH:mm:ss} UTC while you were confirming. Your regeneration was not applied: the token shown now is the current one. Regenerate again if you still need a new token.");
            db.ProvisioningEvents.Add(Audit(workspaceId, actor, ActorKind.WorkspaceAdmin, ProvisioningOperation.TokenRegenerated, EventOutcome.Failure,
                "Refused: the token had already been regenerated by someone else; nothing was changed.", now));
            await db.SaveChangesAsync(ct);
            throw new ScimTokenConflictException(message, conflict);
        }
    }

    /// <summary>
    /// The current token in clear, for the show (<paramref name="copied"/> false) and copy (true) icons. Admins of
    /// the workspace only; audited as TokenRevealed or TokenCopied, a refused attempt too.
    /// </summary>
    public async Task<string> RevealTokenAsync(ClaimsPrincipal user, string slug, bool copied, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (actor, workspaceId) = await RequireAdminAsync(
            db, user, slug, copied ? ProvisioningOperation.TokenCopied : ProvisioningOperation.TokenRevealed, ct);
        var credential = await db.ScimCredentials.AsNoTracking().FirstOrDefaultAsync(c => c.WorkspaceId == workspaceId && c.ExpiresAt == null, ct)
            ?? throw new InvalidOperationException("This workspace has no SCIM token yet; regenerate one.");
        var token = new ScimCredentials(db, protection, time).Reveal(credential);
        var now = time.GetUtcNow().UtcDateTime;
        db.ProvisioningEvents.Add(Audit(workspaceId, actor, ActorKind.WorkspaceAdmin,
            copied ? ProvisioningOperation.TokenCopied : ProvisioningOperation.TokenRevealed, EventOutcome.Success,
            copied ? "SCIM token copied." : "SCIM token shown.", now));
        await db.SaveChangesAsync(ct);
        return token;
    }

    /// <summary>
    /// Turns SCIM on or off for a workspace. Only the workspace's assigned Customer Success Manager or a
    /// CustomerSuccessLead: anyone else (other CSMs, the workspace's own admins) gets
    /// <see cref="UnauthorizedAccessException"/>, nothing changes, and the refused attempt is audited. Enabling requires active SSO (else <see cref="InvalidOperationException"/>, audited as refused too).
    /// Audited as ScimEnabled/ScimDisabled with the acting account.
    /// Takes effect on the next SCIM request (the change clears the SCIM access cache, see Scim/Credentials/ScimAccessCache.cs).
    /// Disabling needs a <paramref name="reason"/> (at most <see cref="MaxReasonLength"/> characters, else
    /// <see cref="ArgumentException"/> and nothing changes): it is stored, shown on the console row, the admin's SCIM page
    /// and in the log, and explains the IdP's 403s there.
    /// </summary>
    public async Task SetScimEnabledAsync(ClaimsPrincipal user, string slug, bool enabled, string? reason = null, CancellationToken ct = default)
    {
        reason = reason?.Trim();
        if (!enabled && string.IsNullOrEmpty(reason))
        {
            throw new ArgumentException("Give a reason for disabling SCIM: the workspace's admins see it.", nameof(reason));
        }

        if (reason is { Length: > MaxReasonLength })
        {
            throw new ArgumentException($"The reason can be at most {MaxReasonLength} characters.", nameof(reason));
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var actor = await PortalActor.RequireAsync(db, user, ct);
        var ws = await db.Workspaces.Include(w => w.Scim).Include(w => w.Sso).FirstOrDefaultAsync(w => w.Slug == slug, ct);
        var operation = enabled ? ProvisioningOperation.ScimEnabled : ProvisioningOperation.ScimDisabled;
        var now = time.GetUtcNow().UtcDateTime;
        if (ws is null)
        {
            throw Denied();
        }

        if (!actor.MayToggleScim(ws.CustomerSuccessManagerId))
        {
            var refusal = actor.IsCustomerSuccess
                ? "Only the workspace's assigned Customer Success Manager or a Customer Success lead can enable or disable SCIM for it."
                : "Only Customer Success staff can enable or disable SCIM.";
            await AuditRefusalAsync(db, actor, ws.Id, operation, refusal, now, ct);
            throw new UnauthorizedAccessException(refusal);
        }

        if (enabled && ws.Sso is not { Active: true })
        {
            // Nothing of the workspace is modified yet: the SaveChanges of the refusal writes only its audit row.
            const string refusal = "SCIM can only be enabled while the workspace's SSO configuration is active.";
            await AuditRefusalAsync(db, actor, ws.Id, operation, refusal, now, ct);
            throw new InvalidOperationException(refusal);
        }

        ws.Scim ??= new ScimSettings { WorkspaceId = ws.Id };
        if (ws.Scim.Enabled == enabled)
        {
            return;
        }

        ws.Scim.Enabled = enabled;
        ws.Scim.EnabledChangedAt = now;
        ws.Scim.EnabledChangedBy = actor.Email;
        ws.Scim.DisabledReason = enabled ? null : reason;
        var audit = Audit(ws.Id, actor, ActorKind.CustomerSuccess, operation, EventOutcome.Success,
            enabled ? "SCIM enabled." : $"SCIM disabled: {reason}. Provisioning requests are refused until it is enabled again.", now);
        audit.Details = enabled ? null : new ProvisioningDetails { Reason = reason }.Serialize();
        db.ProvisioningEvents.Add(audit);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Every workspace for the customer-success console (CustomerSuccess role only), optionally filtered by name or slug.</summary>
    public async Task<IReadOnlyList<ScimWorkspaceOverview>> ListWorkspacesAsync(ClaimsPrincipal user, string? search = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var actor = await PortalActor.RequireAsync(db, user, ct);
        if (!actor.IsCustomerSuccess)
        {
            throw Denied();
        }

        var query = db.Workspaces.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(search))
        {
            // Case-insensitive on both providers: upper() of the column, the pattern folded alike (CaseFolding).
            var pattern = CaseFolding.AsciiUpper("%" + ProvisioningLog.EscapeLike(search.Trim()) + "%");
#pragma warning disable CA1304, CA1311 // string.ToUpper() here is translated to SQL upper() (CaseFolding), never run in .NET
            query = query.Where(w => EF.Functions.Like(w.Name.ToUpper(), pattern, ProvisioningLog.LikeEscape) || EF.Functions.Like(w.Slug.ToUpper(), pattern, ProvisioningLog.LikeEscape));
#pragma warning restore CA1304, CA1311
        }

        var rows = await query.OrderBy(w => w.Name)
            .Select(w => new ScimWorkspaceOverview(
                w.Id, w.Slug, w.Name,
                w.Sso != null && w.Sso.Active,
                w.Scim != null && w.Scim.Enabled,
                db.ScimCredentials.Where(c => c.WorkspaceId == w.Id).Max(c => c.LastUsedAt),
                w.CustomerSuccessManager != null ? w.CustomerSuccessManager.DisplayName : null,
                w.CustomerSuccessManager != null ? w.CustomerSuccessManager.Email : null,
                w.CustomerSuccessManagerId,
                actor.IsCustomerSuccessLead || w.CustomerSuccessManagerId == actor.UserId,
                w.Scim != null ? w.Scim.EnabledChangedAt : null,
                w.Scim != null ? w.Scim.EnabledChangedBy : null,
                w.Scim != null && !w.Scim.Enabled ? w.Scim.DisabledReason : null,
                null))
            .ToListAsync(ct);

        // Every listed workspace's connection status in one set of aggregate queries, not one per row.
        var statuses = await health.ForAsync(db, rows.Select(r => r.WorkspaceId).ToList(), ct);
        return [.. rows.Select(r => r with { Health = statuses[r.WorkspaceId] })];
    }

    /// <summary>The accounts in the CustomerSuccess role, for a lead's assignment picker (CustomerSuccessLead only).</summary>
    public async Task<IReadOnlyList<CustomerSuccessManager>> ListCustomerSuccessManagersAsync(ClaimsPrincipal user, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var actor = await PortalActor.RequireAsync(db, user, ct);
        if (!actor.IsCustomerSuccessLead)
        {
            throw Denied();
        }

        return await CustomerSuccessAccounts(db).OrderBy(u => u.DisplayName).ThenBy(u => u.Email)
            .Select(u => new CustomerSuccessManager(u.Id, u.DisplayName, u.Email ?? u.UserName ?? u.Id)).ToListAsync(ct);
    }

    /// <summary>
    /// Assigns the workspace to the Customer Success Manager <paramref name="csmUserId"/> (null: unassigns it).
    /// CustomerSuccessLead only: anyone else's attempt is refused with <see cref="UnauthorizedAccessException"/> and
    /// audited. The account must be in the CustomerSuccess role (else <see cref="InvalidOperationException"/>). The
    /// change is audited as CsmAssigned with the lead's account, naming the previous and the new CSM.
    /// </summary>
    public async Task AssignCsmAsync(ClaimsPrincipal user, string slug, string? csmUserId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var actor = await PortalActor.RequireAsync(db, user, ct);
        var ws = await db.Workspaces.Include(w => w.CustomerSuccessManager).FirstOrDefaultAsync(w => w.Slug == slug, ct) ?? throw Denied();
        var now = time.GetUtcNow().UtcDateTime;
        if (!actor.IsCustomerSuccessLead)
        {
            const string reason = "Only a Customer Success lead can assign Customer Success Managers.";
            await AuditRefusalAsync(db, actor, ws.Id, ProvisioningOperation.CsmAssigned, reason, now, ct);
            throw new UnauthorizedAccessException(reason);
        }

        CustomerSuccessManager? csm = null;
        if (csmUserId is not null)
        {
            csm = await CustomerSuccessAccounts(db).Where(u => u.Id == csmUserId)
                .Select(u => new CustomerSuccessManager(u.Id, u.DisplayName, u.Email ?? u.UserName ?? u.Id)).FirstOrDefaultAsync(ct);
            if (csm is null)
            {
                const string reason = "Only an account in the Customer Success role can be assigned to a workspace.";
                await AuditRefusalAsync(db, actor, ws.Id, ProvisioningOperation.CsmAssigned, reason, now, ct);
                throw new InvalidOperationException(reason);
            }
        }

        if (ws.CustomerSuccessManagerId == csmUserId)
        {
            return;
        }

        var before = ws.CustomerSuccessManager is { } previous ? $"{previous.DisplayName} ({previous.Email})" : "nobody";
        var after = csm is null ? "nobody" : $"{csm.DisplayName} ({csm.Email})";
        ws.CustomerSuccessManagerId = csmUserId;
        db.ProvisioningEvents.Add(Audit(ws.Id, actor, ActorKind.CustomerSuccess, ProvisioningOperation.CsmAssigned, EventOutcome.Success,
            $"Customer Success Manager changed from {before} to {after}.", now));
        await db.SaveChangesAsync(ct);
    }

    private static IQueryable<PortalUser> CustomerSuccessAccounts(PortalDbContext db) =>
        db.Users.Where(u => db.UserRoles.Any(ur => ur.UserId == u.Id && db.Roles.Any(r => r.Id == ur.RoleId && r.Name == Roles.CustomerSuccess)));

    /// <summary>
    /// The actor and the workspace when the actor administers it. Otherwise the attempted <paramref name="operation"/>
    /// is audited as refused against the workspace (when the slug names one: an unknown slug changes nothing
    /// anywhere) and <see cref="UnauthorizedAccessException"/> is thrown.
    /// </summary>
    private async Task<(PortalActor Actor, Guid WorkspaceId)> RequireAdminAsync(
        PortalDbContext db, ClaimsPrincipal user, string slug, ProvisioningOperation operation, CancellationToken ct)
    {
        var actor = await PortalActor.RequireAsync(db, user, ct);
        var workspaceId = await db.WorkspaceAdmins.Where(a => a.UserId == actor.UserId && a.Workspace!.Slug == slug)
            .Select(a => (Guid?)a.WorkspaceId).FirstOrDefaultAsync(ct);
        if (workspaceId is { } id)
        {
            return (actor, id);
        }

        if (await db.Workspaces.Where(w => w.Slug == slug).Select(w => (Guid?)w.Id).FirstOrDefaultAsync(ct) is { } existing)
        {
            await AuditRefusalAsync(db, actor, existing, operation, "Only administrators of this workspace can manage its SCIM token.",
                time.GetUtcNow().UtcDateTime, ct);
        }

        throw Denied();
    }

    /// <summary>
    /// Records a refused attempt to change access (Outcome Failure, the acting account, the reason) and saves it at
    /// once, before the caller throws. The actor kind is the account's role in this workspace: WorkspaceAdmin for its
    /// admins, CustomerSuccess for CS staff, System for any other signed-in account.
    /// </summary>
    private static async Task AuditRefusalAsync(
        PortalDbContext db, PortalActor actor, Guid workspaceId, ProvisioningOperation operation, string reason, DateTime now, CancellationToken ct)
    {
        var kind = await actor.IsAdminOfAsync(db, workspaceId, ct) ? ActorKind.WorkspaceAdmin
            : actor.IsCustomerSuccess ? ActorKind.CustomerSuccess
            : ActorKind.System;
        db.ProvisioningEvents.Add(Audit(workspaceId, actor, kind, operation, EventOutcome.Failure, "Refused: " + reason, now));
        await db.SaveChangesAsync(ct);
    }

    /// <summary>An audit row of an admin or CSM action (also used by the OAuth client administration).</summary>
    internal static ProvisioningEvent Audit(Guid workspaceId, PortalActor actor, ActorKind kind, ProvisioningOperation operation, EventOutcome outcome, string summary, DateTime now) => new()
    {
        WorkspaceId = workspaceId,
        OccurredAt = now,
        ActorKind = kind,
        Actor = actor.Email,
        Operation = operation,
        Outcome = outcome,
        Summary = summary,
    };

    /// <summary>The longest reason for disabling SCIM (the column's length).</summary>
    public const int MaxReasonLength = 500;

    internal static UnauthorizedAccessException Denied() => new("You are not allowed to manage SCIM for this workspace.");
}
