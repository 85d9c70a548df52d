using System.Text.Json.Nodes;

using IdeaScale.Portal.Data.Interceptors;
using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Filtering;
using IdeaScale.Portal.Scim.Logging;
using IdeaScale.Portal.Scim.Patching;
using IdeaScale.Portal.Scim.Protocol;
using IdeaScale.Portal.Scim.Schema;
using IdeaScale.Portal.Scim.Tenancy;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Scim.Users;

/// <summary>/Users: list, search, get, create, replace, patch, delete. Every query starts from the tenant's workspace.</summary>
public static class UserEndpoints
{
    private const int MaxConcurrencyRetries = 3;
    private static ScimResourceType Type => ScimRegistry.UserType;

    public static RouteGroupBuilder MapScimUsers(this RouteGroupBuilder scim)
    {
        var users = scim.MapGroup("/Users");
        users.MapGet("", ListUsers);
        users.MapPost("/.search", SearchUsers);
        users.MapGet("/{id}", GetUser);
        users.MapPost("", CreateUser);
        users.MapPut("/{id}", ReplaceUser);
        users.MapPatch("/{id}", PatchUser);
        users.MapDelete("/{id}", DeleteUser);
        return scim;
    }

    /// <summary>No DbContext parameter: the userName lookup reads through <see cref="UserReader"/> and rents none.</summary>
    public static Task<IResult> ListUsers(HttpContext context, UserReader reader, ScimTenant tenant, IConfiguration configuration) =>
        ListAsync(ScimRequest.FromQuery(context.Request.Query, ScimRequest.MaxResults(configuration)), context.RequestServices, reader, tenant, context.RequestAborted);


    public static async Task<IResult> SearchUsers(HttpContext context, UserReader reader, ScimTenant tenant, IConfiguration configuration)
    {
        var search = await ScimRequest.ReadAsync<SearchRequest>(context.Request);
        return await ListAsync(ScimRequest.FromSearch(search, ScimRequest.MaxResults(configuration)), context.RequestServices, reader, tenant, context.RequestAborted);
    }

    private static async Task<IResult> ListAsync(ListQuery query, IServiceProvider services, UserReader reader, ScimTenant tenant, CancellationToken ct)
    {
        var (total, page, selection, next) = await QueryPageAsync(query, services, reader, tenant, ct);
        return ScimResult.List(total, query.Cursor is null ? query.StartIndex : null, page,
            (writer, user) => UserJsonWriter.Write(writer, user.Member, user.Rows, tenant.BaseUrl, selection), next);
    }

    /// <summary>The page as JSON resources (POST /.search at the root mixes them with groups).</summary>
    public static async Task<(int Total, List<JsonObject> Resources)> QueryAsync(ListQuery query, IServiceProvider services, UserReader reader, ScimTenant tenant, CancellationToken ct)
    {
        var (total, page, selection, _) = await QueryPageAsync(query, services, reader, tenant, ct);
        return (total, page.ConvertAll(u => selection.Apply(UserMapper.ToJson(u.Member, u.Rows, tenant.BaseUrl))));
    }

    /// <summary>Orders, pages and (when the page is full) counts in the database, then loads the page's rows one query per kind.</summary>
    private static async Task<(int Total, List<(WorkspaceMember Member, UserRows Rows)> Page, AttributeSelection Selection, string? NextCursor)> QueryPageAsync(
        ListQuery query, IServiceProvider services, UserReader reader, ScimTenant tenant, CancellationToken ct)
    {
        var selection = AttributeSelection.Parse(Type, query.Attributes, query.ExcludedAttributes);
        if (query.SortBy is null && query.Cursor is null && UserNameLookup(query.Filter) is { } userName)
        {
            var (found, user) = await LookupAsync(userName, query, selection, reader, tenant, ct);
            return (found, user is { } u ? [u] : [], selection, null);
        }

        var db = services.GetRequiredService<PortalDbContext>();
        var filtered = ScimQueries.FilterUsers(db.Members.AsNoTracking().Where(m => m.WorkspaceId == tenant.WorkspaceId), query.Filter, db);
        var (total, page, next) = query.Cursor is null
            ? await services.GetRequiredService<Paging.IndexPaging>().PageAsync(filtered, Type, query, tenant.WorkspaceId, ct) is var (t, p) ? (t, p, (string?)null) : default
            : await services.GetRequiredService<Paging.ScimCursors>().PageAsync(filtered, Type, query, tenant.WorkspaceId, ct);
        var rows = await new UserMapper(db).LoadRowsAsync(page, selection, ct);
        return (total, page.ConvertAll(m => (m, rows[m.Id])), selection, next);
    }

    /// <summary>The value of a filter that is exactly <c>userName eq "…"</c> (any letter case, with or without the schema URN), else null.</summary>
    internal static string? UserNameLookup(string? filter) =>
        filter is not null
        && FilterParser.Parse(filter) is CompareNode { Op: CompareOp.Eq, Value: StringLiteral literal } compare
        && Type.Resolve(compare.Path.ToString()) is { Attribute: { } attribute, SubAttribute: null }
        && ReferenceEquals(attribute, UserNameAttribute)
            ? literal.Value
            : null;

    private static readonly ScimAttribute UserNameAttribute = Type.Core.Attributes.Single(a => a.Name == "userName");

    /// <summary>
    /// <c>filter=userName eq "…"</c>, the lookup Entra ID and Okta run for every user on every sync, read by
    /// <see cref="UserReader"/> in one command. It answers exactly what the general path answers (userName is unique
    /// and compared case-insensitively through its normalised column).
    /// </summary>
    private static async Task<(int Total, (WorkspaceMember, UserRows)? User)> LookupAsync(
        string userName, ListQuery query, AttributeSelection selection, UserReader reader, ScimTenant tenant, CancellationToken ct)
    {
        var onPage = query.StartIndex <= 1 && query.Count != 0;
        var found = await reader.ByNormalizedUserNameAsync(
            tenant.WorkspaceId, AuditStampInterceptor.Normalize(userName), onPage ? UserMapper.RowNeeds.For(selection) : default, ct);
        return (found is null ? 0 : 1, onPage ? found : null);
    }

    public static async Task<IResult> GetUser(string id, HttpContext context, UserReader reader, ScimTenant tenant)
    {
        var ct = context.RequestAborted;
        var memberId = ScimQueries.ParseId(id, Type.Name);
        var selection = Selection(context.Request.Query);
        var (member, rows) = await reader.ByIdAsync(tenant.WorkspaceId, memberId, UserMapper.RowNeeds.For(selection), ct) ?? throw NotFound(id);
        if (context.Request.Headers.IfNoneMatch.ToString() is { Length: > 0 } ifNoneMatch && ETags.Matches(ifNoneMatch, member.Version))
        {
            return ScimResult.NotModified(member.Version);
        }

        return Respond(member, rows, selection, tenant, StatusCodes.Status200OK);
    }

    public static async Task<IResult> CreateUser(HttpContext context, PortalDbContext db, ScimTenant tenant, ScimRequestLog log)
    {
        var ct = context.RequestAborted;
        _ = Selection(context.Request.Query); // a bad attributes parameter fails before anything is written
        var body = ScimValues.Canonicalize(await ScimRequest.ReadObjectAsync(context.Request), Type);
        var member = new WorkspaceMember { WorkspaceId = tenant.WorkspaceId, UserName = "" };
        var mapper = new UserMapper(db);
        await mapper.WriteAsync(body, member, tenant.WorkspaceId, ct);
        db.Members.Add(member);
        log.Touch(Type.Name, null, member.UserName, UserNameAttribute.Name);
        // No uniqueness pre-check: the unique index on (workspace, normalized userName) turns a duplicate into 409.
        await ScimQueries.SaveAsync(db, UniquenessDetail(member), ct);
        var changes = ResourceDiff.Compare(Type, null, Representation(member, tenant)).Concat(ResourceDiff.SecretsIn(Type, body)).ToList();
        log.Record(ProvisioningOperation.Create, Type.Name, member.Id.ToString(), member.UserName,
            ProvisioningStory.Created("user", member.UserName, changes), new ProvisioningDetails { Changes = changes });
        // Answered from what was written: a new user is in no group yet.
        return await RespondAsync(member, context, db, tenant, StatusCodes.Status201Created,
            new UserRows(member.Values, member.Addresses, [], mapper.ManagerDisplay));
    }

    public static async Task<IResult> ReplaceUser(string id, HttpContext context, PortalDbContext db, ScimTenant tenant, ScimRequestLog log)
    {
        var body = ScimValues.Canonicalize(await ScimRequest.ReadObjectAsync(context.Request), Type);
        return await UpdateAsync(id, context, db, tenant, log, (_, _) => (JsonObject)body.DeepClone());
    }

    public static async Task<IResult> PatchUser(string id, HttpContext context, PortalDbContext db, ScimTenant tenant, ScimRequestLog log)
    {
        var request = await ScimRequest.ReadAsync<PatchRequest>(context.Request);
        var engine = new PatchEngine(Type);
        return await UpdateAsync(id, context, db, tenant, log, (current, member) =>
        {
            engine.Apply(current, member.Id.ToString(), request.Operations);
            return current;
        });
    }

    /// <summary>
    /// Load, apply, write back through the mapper, save once, in one transaction that starts before the load (SQLite:
    /// BEGIN IMMEDIATE takes the write lock; PostgreSQL: the user's row lock, taken first), so concurrent PUTs and
    /// PATCHes of one user, on any instance, queue instead of failing the version check. A lost check is retried from a fresh load; see <see cref="ETags.ConcurrentChange"/> for the rule.
    /// </summary>
    private static async Task<IResult> UpdateAsync(
        string id, HttpContext context, PortalDbContext db, ScimTenant tenant, ScimRequestLog log,
        Func<JsonObject, WorkspaceMember, JsonObject> change)
    {
        var ct = context.RequestAborted;
        var memberId = ScimQueries.ParseId(id, Type.Name);
        _ = Selection(context.Request.Query); // a bad attributes parameter fails before anything is written
        var mapper = new UserMapper(db);
        for (var attempt = 0; ; attempt++)
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            await ScimQueries.LockForUpdateAsync<WorkspaceMember>(db, memberId, ct);
            var member = await UserQueries.ForUpdate(db, tenant.WorkspaceId, memberId, ct) ?? throw NotFound(id);
            ETags.CheckIfMatch(context.Request, member.Version);
            var wasActive = member.Active;
            var current = Representation(member, tenant);
            // The story's "before", from what is loaded anyway (PATCH changes current in place).
            var before = (JsonObject)current.DeepClone();
            var result = change(current, member);
            await mapper.WriteAsync(result, member, tenant.WorkspaceId, ct);
            log.Touch(Type.Name, member.Id.ToString(), member.UserName, UserNameAttribute.Name);
            try
            {
                await ScimQueries.SaveAsync(db, UniquenessDetail(member), ct);
                await transaction.CommitAsync(ct);
            }
            catch (DbUpdateConcurrencyException) when (!ETags.HasIfMatch(context.Request) && attempt < MaxConcurrencyRetries)
            {
                db.ChangeTracker.Clear();
                continue;
            }
            catch (DbUpdateConcurrencyException)
            {
                throw ETags.ConcurrentChange(context.Request);
            }

            var operation = (wasActive, member.Active) switch
            {
                (true, false) => ProvisioningOperation.Deactivate,
                (false, true) => ProvisioningOperation.Reactivate,
                _ => ProvisioningOperation.Update,
            };
            var changes = ResourceDiff.Compare(Type, before, Representation(member, tenant)).Concat(ResourceDiff.SecretsIn(Type, result)).ToList();
            var verb = operation switch
            {
                ProvisioningOperation.Deactivate => "deactivated",
                ProvisioningOperation.Reactivate => "reactivated",
                _ => context.Request.Method == HttpMethods.Put ? "replaced" : "updated",
            };
            log.Record(operation, Type.Name, member.Id.ToString(), member.UserName,
                ProvisioningStory.Updated(verb, "user", member.UserName, changes), new ProvisioningDetails { Changes = changes });
            if (context.Request.Method == HttpMethods.Patch && context.Request.Query.ContainsKey("attributes")
                && AttributeSelection.Parse(Type, context.Request.Query["attributes"].ToString(), null).RequestsNothing)
            {
                return ScimResult.NoContent(ETags.For(member.Version));
            }

            // Answered from what was written: values and addresses as tracked, the manager's name as the write read it.
            return await RespondAsync(member, context, db, tenant, StatusCodes.Status200OK, mapper: mapper);
        }
    }

    public static async Task<IResult> DeleteUser(string id, HttpContext context, PortalDbContext db, ScimTenant tenant, ScimRequestLog log, TimeProvider time)
    {
        var ct = context.RequestAborted;
        var memberId = ScimQueries.ParseId(id, Type.Name);
        var ws = tenant.WorkspaceId;
        // The userName comes with the version (one query): the log names the deleted user.
        var found = await db.Members.Where(m => m.WorkspaceId == ws && m.Id == memberId).Select(m => new { m.Version, m.UserName }).SingleOrDefaultAsync(ct)
            ?? throw NotFound(id);
        ETags.CheckIfMatch(context.Request, found.Version);
        log.Touch(Type.Name, id, found.UserName);

        var now = time.GetUtcNow().UtcDateTime;
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // Groups that lose the member, and users it managed, change: bump their versions (ETags) too. The users it
        // managed keep the reference as sent, now unresolved (no $ref, no displayName).
        await db.Groups.Where(g => g.WorkspaceId == ws && db.GroupMemberships.Any(gm => gm.GroupId == g.Id && gm.MemberId == memberId))
            .ExecuteUpdateAsync(s => s.SetProperty(g => g.Version, g => g.Version + 1).SetProperty(g => g.LastModified, now), ct);
        var removedFrom = await db.GroupMemberships.Where(gm => gm.WorkspaceId == ws && gm.MemberId == memberId).ExecuteDeleteAsync(ct);
        await db.Members.Where(m => m.WorkspaceId == ws && m.ManagerId == memberId)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.ManagerId, (Guid?)null).SetProperty(m => m.Version, m => m.Version + 1).SetProperty(m => m.LastModified, now), ct);
        await db.Members.Where(m => m.WorkspaceId == ws && m.Id == memberId).ExecuteDeleteAsync(ct);
        await transaction.CommitAsync(ct);

        log.Record(ProvisioningOperation.Delete, Type.Name, id, found.UserName,
            ProvisioningStory.Deleted("user", found.UserName, removedFrom == 0 ? null : $"removed from {removedFrom} group(s)"), null);
        return ScimResult.NoContent();
    }

    /// <summary>
    /// The user (loaded with its values and addresses) as the response body. <paramref name="known"/> are rows the
    /// caller already holds; <paramref name="mapper"/> is the one that wrote the user, so its manager is not read
    /// again. Otherwise the rows the selection shows are loaded.
    /// </summary>
    private static async Task<IResult> RespondAsync(
        WorkspaceMember member, HttpContext context, PortalDbContext db, ScimTenant tenant, int status, UserRows? known = null, UserMapper? mapper = null)
    {
        var selection = Selection(context.Request.Query);
        var rows = known ?? await (mapper ?? new UserMapper(db)).LoadRowsAsync(member, selection, context.RequestAborted);
        return Respond(member, rows, selection, tenant, status);
    }

    private static ScimResult Respond(WorkspaceMember member, UserRows rows, AttributeSelection selection, ScimTenant tenant, int status)
    {
        var location = status == StatusCodes.Status201Created ? ResourceMeta.Location(tenant.BaseUrl, Type.Endpoint, member.Id) : null;
        return ScimResult.Resource(writer => UserJsonWriter.Write(writer, member, rows, tenant.BaseUrl, selection), member.Version, status, location);
    }

    private static AttributeSelection Selection(IQueryCollection query) =>
        AttributeSelection.Parse(Type, query.TryGetValue("attributes", out var a) ? a.ToString() : null,
            query.TryGetValue("excludedAttributes", out var e) ? e.ToString() : null);

    private static string UniquenessDetail(WorkspaceMember member) => $"A user with userName '{member.UserName}' already exists in this workspace.";

    private static ScimException NotFound(string id) => ScimException.NotFound($"User '{ScimError.Excerpt(id)}' was not found.");

    /// <summary>The user as written (values and addresses as tracked, no groups, the manager unresolved): the story's before and after.</summary>
    private static JsonObject Representation(WorkspaceMember member, ScimTenant tenant) =>
        UserMapper.ToJson(member, new UserRows(member.Values, member.Addresses, [], null), tenant.BaseUrl);
}
