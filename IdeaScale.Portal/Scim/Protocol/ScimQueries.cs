using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Filtering;
using IdeaScale.Portal.Scim.Schema;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Scim.Protocol;

/// <summary>Filter, sort and save helpers shared by the Users and Groups endpoints.</summary>
public static class ScimQueries
{
    /// <summary>The filter parameter, parsed and translated to SQL (never evaluated in memory).</summary>
    public static IQueryable<WorkspaceMember> FilterUsers(IQueryable<WorkspaceMember> query, string? filter, PortalDbContext db) =>
        filter is null ? query : query.Where(FilterTranslator.ForUsers(FilterParser.Parse(filter), db));

    public static IQueryable<WorkspaceGroup> FilterGroups(IQueryable<WorkspaceGroup> query, string? filter, PortalDbContext db) =>
        filter is null ? query : query.Where(FilterTranslator.ForGroups(FilterParser.Parse(filter), db));

    /// <summary>
    /// Locks a row for the rest of the current transaction, so concurrent writers of it queue instead of failing the
    /// version check. SQLite needs nothing (its transaction already holds the database's write lock); PostgreSQL takes
    /// the row lock (SELECT … FOR UPDATE; table and key from the EF model).
    /// </summary>
    public static Task LockForUpdateAsync<T>(PortalDbContext db, Guid id, CancellationToken ct)
    {
        if (!db.Database.IsNpgsql())
        {
            return Task.CompletedTask;
        }

        var entity = db.Model.FindEntityType(typeof(T))!;
        var key = entity.FindPrimaryKey()!.Properties.Single().GetColumnName();
        // Table and column names come from the model, the id is a parameter.
        var sql = "SELECT 1 FROM \"" + entity.GetTableName() + "\" WHERE \"" + key + "\" = {0} FOR UPDATE";
        return db.Database.ExecuteSqlRawAsync(sql, [id], ct);
    }

    /// <summary>Resource ids are GUIDs; anything else cannot exist (404, like an unknown GUID).</summary>
    public static Guid ParseId(string id, string resourceType) =>
        Guid.TryParse(id, out var guid) ? guid : throw ScimException.NotFound($"{resourceType} '{ScimError.Excerpt(id)}' was not found.");
}
