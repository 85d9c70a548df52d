using System.Text.Json.Nodes;

using IdeaScale.Portal.Data.Interceptors;
using IdeaScale.Portal.Scim.Filtering;
using IdeaScale.Portal.Scim.Logging;
using IdeaScale.Portal.Scim.Patching;
using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Resources;
using IdeaScale.Portal.Scim.Schema;
using IdeaScale.Portal.Scim.Tenancy;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Scim.Users;

/// <summary>
/// /Users through <see cref="ResourceEndpoints"/>: every query starts from the tenant's workspace; GET by id and the
/// userName lookup read through <see cref="UserReader"/>; writes go through <see cref="UserMapper"/> (the attribute
/// registry) and save once through the prepared <see cref="UserWriter"/>: a new user inserted, a PUT or PATCH loaded
/// in its write transaction (with its rows and groups, the row locked on PostgreSQL), applied, and only what changed
/// written. Scoped: one per request.
/// </summary>
public sealed class UserResource(PortalDbContext db, UserReader reader, UserWriter writer, ScimTenant tenant, TimeProvider time) : IResourceStore<WorkspaceMember, UserRows>
{
    private static readonly ScimAttribute UserNameAttribute = ScimRegistry.UserType.Core.Attributes.Single(a => a.Name == "userName");

    private UserMapper? mapperOfRequest;

    /// <summary>The open PUT or PATCH (this attempt's), its user as loaded, and the user's groups read with it.</summary>
    private UserWriter.Update? update;
    private UserWriter.Snapshot? loaded;
    private IReadOnlyList<(Guid Id, string Display)> loadedGroups = [];

    /// <summary>
    /// The mapper of this request's write: it knows the manager's name it checked, so the answer needs no second read;
    /// in a PUT or PATCH it checks the manager in the update's transaction.
    /// </summary>
    private UserMapper mapper => mapperOfRequest ??= new(db, (ws, id, ct) => update is { } open
        ? reader.DisplayAsync(open.Session, open.Transaction, ws, id, ct)
        : UserQueries.ManagerDisplay(db, ws, id, ct));

    /// <summary>The user (with its rows) the userName lookup read, rendered without loading its rows again.</summary>
    private (WorkspaceMember Member, UserRows Rows)? looked;

    public ScimResourceType Type => ScimRegistry.UserType;

    public string Kind => "user";

    public string NameAttribute => UserNameAttribute.Name;

    public string Subject(WorkspaceMember entity) => entity.UserName;

    public bool PatchAnswersNoContent => false;

    public IQueryable<WorkspaceMember> Query(string? filter) =>
        ScimQueries.FilterUsers(db.Members.AsNoTracking().Where(m => m.WorkspaceId == tenant.WorkspaceId), filter, db);

    /// <summary>
    /// <c>filter=userName eq "…"</c>, the lookup Entra ID and Okta run for every user on every sync, read by
    /// <see cref="UserReader"/> in one command. It answers exactly what the general path answers (userName is unique
    /// and compared case-insensitively through its normalised column).
    /// </summary>
    public async Task<(int Total, List<WorkspaceMember> Page)?> LookupAsync(ListQuery query, AttributeSelection selection, CancellationToken ct)
    {
        if (query.SortBy is not null || query.Cursor is not null || UserNameLookup(query.Filter) is not { } userName)
        {
            return null;
        }

        var onPage = query.StartIndex <= 1 && query.Count != 0;
        var found = await reader.ByNormalizedUserNameAsync(
            tenant.WorkspaceId, AuditStampInterceptor.Normalize(userName), onPage ? UserMapper.RowNeeds.For(selection) : default, ct);
        looked = onPage ? found : null;
        List<WorkspaceMember> page = looked is { } user ? [user.Member] : [];
        return (found is null ? 0 : 1, page);
    }

    /// <summary>The value of a filter that is exactly <c>userName eq "…"</c> (any letter case, with or without the schema URN), else null.</summary>
    internal static string? UserNameLookup(string? filter) =>
        filter is not null
        && FilterParser.Parse(filter) is CompareNode { Op: CompareOp.Eq, Value: StringLiteral literal } compare
        && ScimRegistry.UserType.Resolve(compare.Path.ToString()) is { Attribute: { } attribute, SubAttribute: null }
        && ReferenceEquals(attribute, UserNameAttribute)
            ? literal.Value
            : null;

    public async Task<IResult> RenderListAsync(ResourcePage<WorkspaceMember> page, AttributeSelection selection, CancellationToken ct)
    {
        var rows = await RowsAsync(page.Resources, selection, ct);
        return ScimResult.List(page.Total, page.StartIndex, page.Resources,
            (writer, user) => UserJsonWriter.Write(writer, user, rows[user.Id], tenant.BaseUrl, selection), page.NextCursor);
    }

    public async Task<List<JsonObject>> ToJsonAsync(IReadOnlyList<WorkspaceMember> page, AttributeSelection selection, CancellationToken ct)
    {
        var rows = await RowsAsync(page, selection, ct);
        return [.. page.Select(u => selection.Apply(UserMapper.ToJson(u, rows[u.Id], tenant.BaseUrl)))];
    }

    /// <summary>The page's rows outside the member table: as the lookup read them, else one query per kind.</summary>
    private async Task<Dictionary<Guid, UserRows>> RowsAsync(IReadOnlyList<WorkspaceMember> page, AttributeSelection selection, CancellationToken ct) =>
        looked is { } user && page.Count == 1 && ReferenceEquals(page[0], user.Member)
            ? new() { [user.Member.Id] = user.Rows }
            : await mapper.LoadRowsAsync(page, selection, ct);

    public Task<(WorkspaceMember Entity, UserRows Rows)?> ReadAsync(Guid id, AttributeSelection selection, CancellationToken ct) =>
        reader.ByIdAsync(tenant.WorkspaceId, id, UserMapper.RowNeeds.For(selection), ct);

    public ValueTask ReleaseAsync(UserRows rows) => ValueTask.CompletedTask;

    public IResult Render(WorkspaceMember entity, UserRows rows, AttributeSelection selection, int status)
    {
        var location = status == StatusCodes.Status201Created ? ResourceMeta.Location(tenant.BaseUrl, Type.Endpoint, entity.Id) : null;
        return ScimResult.Resource(writer => UserJsonWriter.Write(writer, entity, rows, tenant.BaseUrl, selection), entity.Version, status, location);
    }

    /// <summary>
    /// Answered from what was written: values and addresses as written, the manager's name as the write read it; a new
    /// user is in no group yet, an updated one's groups are those its update read.
    /// </summary>
    public async Task<IResult> AnswerAsync(WorkspaceMember written, AttributeSelection selection, int status, CancellationToken ct)
    {
        if (status == StatusCodes.Status201Created)
        {
            return Render(written, new UserRows(written.Values, written.Addresses, [], mapper.ManagerDisplay), selection, status);
        }

        if (loaded is null)
        {
            return Render(written, await mapper.LoadRowsAsync(written, selection, ct), selection, status);
        }

        // The groups as the update read them; the manager's name as the write checked it (it is linked only when found).
        var needs = UserMapper.RowNeeds.For(selection);
        return Render(written, new UserRows(needs.Values ? written.Values : [], needs.Addresses ? written.Addresses : [],
            needs.Groups ? loadedGroups : [], needs.Manager && written.ManagerId is not null ? mapper.ManagerDisplay : null), selection, status);
    }

    /// <summary>The user as written (values and addresses as tracked, no groups, the manager unresolved): the story's before and after.</summary>
    public JsonObject Representation(WorkspaceMember entity) =>
        UserMapper.ToJson(entity, new UserRows(entity.Values, entity.Addresses, [], null), tenant.BaseUrl);

    public async Task<(WorkspaceMember Entity, MembershipChange? Members)> CreateAsync(JsonObject body, Action<WorkspaceMember> named, CancellationToken ct)
    {
        var member = new WorkspaceMember { WorkspaceId = tenant.WorkspaceId, UserName = "" };
        await mapper.WriteAsync(body, member, tenant.WorkspaceId, ct);
        named(member);
        // No uniqueness pre-check: the unique index on (workspace, normalized userName) turns a duplicate into 409.
        await writer.InsertAsync(member, UniquenessDetail(member), ct);
        return (member, null);
    }

    public async Task<IUpdateTransaction> BeginUpdateAsync(CancellationToken ct)
    {
        loaded = null;
        update = await writer.BeginUpdateAsync(ct);
        return update;
    }

    /// <summary>With its value and address rows (and its groups when the answer shows them), in the update's transaction (PostgreSQL: the row lock first).</summary>
    public async Task<WorkspaceMember?> LoadForUpdateAsync(Guid id, AttributeSelection selection, CancellationToken ct)
    {
        var open = update ?? throw new InvalidOperationException("LoadForUpdateAsync runs in the transaction of BeginUpdateAsync.");
        if (await reader.ForUpdateAsync(open.Session, open.Transaction, tenant.WorkspaceId, id, UserMapper.RowNeeds.For(selection).Groups, ct) is not { } found)
        {
            return null;
        }

        loaded = writer.Take(found.Member);
        loadedGroups = found.Rows.Groups;
        return found.Member;
    }

    public async Task<WriteOutcome> UpdateAsync(WorkspaceMember entity, JsonObject result, IReadOnlyList<MemberDelta>? deltas, Action<WorkspaceMember> named, CancellationToken ct)
    {
        var open = update ?? throw new InvalidOperationException("UpdateAsync runs in the transaction of BeginUpdateAsync.");
        var before = loaded ?? throw new InvalidOperationException("UpdateAsync writes a user LoadForUpdateAsync loaded.");
        var wasActive = entity.Active;
        await mapper.WriteAsync(result, entity, tenant.WorkspaceId, ct);
        named(entity);
        await writer.UpdateAsync(open.Session, open.Transaction, before, entity, UniquenessDetail(entity), ct);
        return new WriteOutcome((wasActive, entity.Active) switch
        {
            (true, false) => ProvisioningOperation.Deactivate,
            (false, true) => ProvisioningOperation.Reactivate,
            _ => ProvisioningOperation.Update,
        });
    }

    public async Task<(long Version, string Subject)?> FindForDeleteAsync(Guid id, CancellationToken ct)
    {
        var ws = tenant.WorkspaceId;
        var found = await db.Members.Where(m => m.WorkspaceId == ws && m.Id == id).Select(m => new { m.Version, m.UserName }).SingleOrDefaultAsync(ct);
        return found is null ? null : (found.Version, found.UserName);
    }

    /// <summary>
    /// Groups that lose the member, and users it managed, change: their versions (ETags) are bumped too. The users it
    /// managed keep the reference as sent, now unresolved (no $ref, no displayName).
    /// </summary>
    public async Task<string?> DeleteAsync(Guid id, CancellationToken ct)
    {
        var ws = tenant.WorkspaceId;
        var now = time.GetUtcNow().UtcDateTime;
        await db.Groups.Where(g => g.WorkspaceId == ws && db.GroupMemberships.Any(gm => gm.GroupId == g.Id && gm.MemberId == id))
            .ExecuteUpdateAsync(s => s.SetProperty(g => g.Version, g => g.Version + 1).SetProperty(g => g.LastModified, now), ct);
        var removedFrom = await db.GroupMemberships.Where(gm => gm.WorkspaceId == ws && gm.MemberId == id).ExecuteDeleteAsync(ct);
        await db.Members.Where(m => m.WorkspaceId == ws && m.ManagerId == id)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.ManagerId, (Guid?)null).SetProperty(m => m.Version, m => m.Version + 1).SetProperty(m => m.LastModified, now), ct);
        await db.Members.Where(m => m.WorkspaceId == ws && m.Id == id).ExecuteDeleteAsync(ct);
        return removedFrom == 0 ? null : $"removed from {removedFrom} group(s)";
    }

    private static string UniquenessDetail(WorkspaceMember member) => $"A user with userName '{member.UserName}' already exists in this workspace.";
}
