using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace IdeaScale.Portal.Scim.Users;

/// <summary>
/// The read of one user that IdPs run most: GET /Users/{id} and <c>filter=userName eq "…"</c>, every user on every
/// sync. One command of up to five indexed statements (the user, its values, its addresses, its groups, its
/// manager's name; only those the selection shows), kept prepared on a long-lived read connection
/// (<see cref="ReadSessions"/>), run in one read transaction, and materialised by delegates compiled once from the
/// EF model. It returns what the no-tracking EF query returns (UserReaderTests compares
/// them property by property), without what EF costs per execution on a one-row read: the query pipeline, a
/// cartesian JOIN for two collections, and one statement per kind. The SQL is generated from the model (table and
/// column names, quoting, parameter syntax, and parameters bound through each property's type mapping), so it
/// follows the schema and the provider.
/// </summary>
public sealed class UserReader
{
    private readonly ReadSessions sessions;
    private readonly ISqlGenerationHelper sql;

    private readonly Statement member;
    private readonly Statement memberForUpdate;
    private readonly Statement managerById;
    private readonly Statement values;
    private readonly Statement addresses;
    private readonly Statement groups;
    private readonly Statement manager;
    private readonly Key byId;
    private readonly Key byUserName;
    private readonly Func<DbDataReader, WorkspaceMember> readMember;
    private readonly Func<DbDataReader, MemberValue> readValue;
    private readonly Func<DbDataReader, MemberAddress> readAddress;

    /// <summary>How the statements find the user: a WHERE condition, and the parameters it binds.</summary>
    private sealed record Key(string Condition, IProperty Workspace, IProperty Lookup);

    /// <summary>A statement with a <c>{0}</c> where the user's key condition goes.</summary>
    private sealed record Statement(string Format);

    /// <summary>Command texts by key and parts: at most 2 × 16, each built once.</summary>
    private readonly ConcurrentDictionary<(Key, UserMapper.RowNeeds, bool ForUpdate), string> texts = new();

    public UserReader(IDbContextFactory<PortalDbContext> contexts, ReadSessions sessions)
    {
        this.sessions = sessions;
        using var db = contexts.CreateDbContext();
        sql = db.GetService<ISqlGenerationHelper>();
        var model = db.Model;
        var members = Entity<WorkspaceMember>(model);

        string Column(IEntityType entity, string property) => sql.DelimitIdentifier(entity.FindProperty(property)!.GetColumnName(Table(entity))!);
        string TableName(IEntityType entity) => sql.DelimitIdentifier(entity.GetTableName()!, entity.GetSchema());
        string Columns(IEntityType entity, string alias) =>
            string.Join(", ", Stored(entity).Select(p => alias + "." + sql.DelimitIdentifier(p.GetColumnName(Table(entity))!)));

        var id = Column(members, nameof(WorkspaceMember.Id));
        var workspace = Column(members, nameof(WorkspaceMember.WorkspaceId));
        byId = new Key($"{workspace} = {sql.GenerateParameterNamePlaceholder("ws")} AND {id} = {sql.GenerateParameterNamePlaceholder("key")}",
            members.FindProperty(nameof(WorkspaceMember.WorkspaceId))!, members.FindProperty(nameof(WorkspaceMember.Id))!);
        byUserName = new Key($"{workspace} = {sql.GenerateParameterNamePlaceholder("ws")} AND {Column(members, nameof(WorkspaceMember.NormalizedUserName))} = {sql.GenerateParameterNamePlaceholder("key")}",
            members.FindProperty(nameof(WorkspaceMember.WorkspaceId))!, members.FindProperty(nameof(WorkspaceMember.NormalizedUserName))!);
        var memberId = $"(SELECT {id} FROM {TableName(members)} WHERE {{0}})";

        member = new Statement($"SELECT {Columns(members, "m")} FROM {TableName(members)} AS m WHERE {{0}}");
        // PostgreSQL: the row lock first, so concurrent writers of the user queue (SQLite's write transaction holds the database's lock).
        memberForUpdate = db.Database.IsNpgsql() ? new Statement(member.Format + " FOR UPDATE") : member;
        managerById = new Statement(
            $"SELECT COALESCE(mm.{Column(members, nameof(WorkspaceMember.DisplayName))}, mm.{Column(members, nameof(WorkspaceMember.UserName))}) FROM {TableName(members)} AS mm WHERE {byId.Condition}");

        var valueEntity = Entity<MemberValue>(model);
        values = new Statement($"SELECT {Columns(valueEntity, "v")} FROM {TableName(valueEntity)} AS v WHERE v.{Column(valueEntity, nameof(MemberValue.MemberId))} = {memberId}");

        var addressEntity = Entity<MemberAddress>(model);
        addresses = new Statement($"SELECT {Columns(addressEntity, "a")} FROM {TableName(addressEntity)} AS a WHERE a.{Column(addressEntity, nameof(MemberAddress.MemberId))} = {memberId}");

        var membership = Entity<GroupMembership>(model);
        var group = Entity<WorkspaceGroup>(model);
        var groupName = Column(group, nameof(WorkspaceGroup.DisplayName));
        groups = new Statement(
            $"SELECT g.{Column(group, nameof(WorkspaceGroup.Id))}, g.{groupName} FROM {TableName(membership)} AS gm"
            + $" INNER JOIN {TableName(group)} AS g ON gm.{Column(membership, nameof(GroupMembership.GroupId))} = g.{Column(group, nameof(WorkspaceGroup.Id))}"
            + $" WHERE gm.{Column(membership, nameof(GroupMembership.MemberId))} = {memberId} ORDER BY g.{groupName}");

        manager = new Statement(
            $"SELECT COALESCE(mm.{Column(members, nameof(WorkspaceMember.DisplayName))}, mm.{Column(members, nameof(WorkspaceMember.UserName))}) FROM {TableName(members)} AS mm"
            + $" WHERE mm.{workspace} = {sql.GenerateParameterNamePlaceholder("ws")} AND mm.{id} = (SELECT {Column(members, nameof(WorkspaceMember.ManagerId))} FROM {TableName(members)} WHERE {{0}})");

        readMember = Materializer<WorkspaceMember>(members);
        readValue = Materializer<MemberValue>(valueEntity);
        readAddress = Materializer<MemberAddress>(addressEntity);
    }

    public Task<(WorkspaceMember Member, UserRows Rows)?> ByIdAsync(Guid workspaceId, Guid id, UserMapper.RowNeeds parts, CancellationToken ct) =>
        ReadAsync(byId, workspaceId, id, parts, ct);

    public Task<(WorkspaceMember Member, UserRows Rows)?> ByNormalizedUserNameAsync(Guid workspaceId, string normalizedUserName, UserMapper.RowNeeds parts, CancellationToken ct) =>
        ReadAsync(byUserName, workspaceId, normalizedUserName, parts, ct);

    private async Task<(WorkspaceMember Member, UserRows Rows)?> ReadAsync(Key key, Guid workspaceId, object lookup, UserMapper.RowNeeds parts, CancellationToken ct)
    {
        var session = await sessions.RentAsync(ct);
        (WorkspaceMember Member, UserRows Rows)? found;
        try
        {
            found = await ReadAsync(session, key, workspaceId, lookup, parts, ct);
        }
        catch
        {
            session.Dispose();
            throw;
        }

        sessions.Return(session);
        return found;
    }

    /// <summary>
    /// A user to change (PUT, PATCH), inside the caller's write transaction on <paramref name="session"/>: its values,
    /// addresses (and its groups when asked) with it (PostgreSQL: the user's row locked first). Null when it does not exist.
    /// </summary>
    public async Task<(WorkspaceMember Member, UserRows Rows)?> ForUpdateAsync(
        ReadSessions.Session session, DbTransaction transaction, Guid workspaceId, Guid id, bool groups, CancellationToken ct) =>
        await ReadAsync(session, transaction, byId, workspaceId, id, new UserMapper.RowNeeds(true, true, groups, false), forUpdate: true, ct);

    /// <summary>The display name of a user of the workspace (its userName when it has none), or null: a write's manager check.</summary>
    public async Task<string?> DisplayAsync(ReadSessions.Session session, DbTransaction transaction, Guid workspaceId, Guid id, CancellationToken ct)
    {
        var text = managerById.Format;
        var command = Bind(session.Command(text, transaction), byId, workspaceId, id);
        sessions.LogRead(text);
        return await command.ExecuteScalarAsync(ct) is string display ? display : null;
    }

    private Task<(WorkspaceMember Member, UserRows Rows)?> ReadAsync(
        ReadSessions.Session session, Key key, Guid workspaceId, object lookup, UserMapper.RowNeeds parts, CancellationToken ct) =>
        ReadAsync(session, null, key, workspaceId, lookup, parts, forUpdate: false, ct);

    private async Task<(WorkspaceMember Member, UserRows Rows)?> ReadAsync(
        ReadSessions.Session session, DbTransaction? writing, Key key, Guid workspaceId, object lookup, UserMapper.RowNeeds parts, bool forUpdate, CancellationToken ct)
    {
        var statements = Statements(parts, forUpdate);
        var text = texts.GetOrAdd((key, parts, forUpdate), k => string.Join(";\n",
            Statements(k.Item2, k.ForUpdate).Select(s => string.Format(CultureInfo.InvariantCulture, s.Format, k.Item1.Condition))));
        // One snapshot for the user and its rows (or the caller's write transaction).
        await using var reading = writing is null ? session.BeginRead() : null;
        var command = Bind(session.Command(text, writing ?? reading), key, workspaceId, lookup);
        sessions.LogRead(text);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        var user = readMember(reader);
        var valueRows = new List<MemberValue>();
        var addressRows = new List<MemberAddress>();
        var groupRows = new List<(Guid Id, string Display)>();
        string? managerDisplay = null;
        foreach (var statement in statements.Skip(1))
        {
            await reader.NextResultAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                if (ReferenceEquals(statement, values))
                {
                    valueRows.Add(readValue(reader));
                }
                else if (ReferenceEquals(statement, addresses))
                {
                    addressRows.Add(readAddress(reader));
                }
                else if (ReferenceEquals(statement, groups))
                {
                    groupRows.Add((reader.GetFieldValue<Guid>(0), reader.GetString(1)));
                }
                else
                {
                    managerDisplay = reader.IsDBNull(0) ? null : reader.GetString(0);
                }
            }
        }

        user.Values = valueRows;
        user.Addresses = addressRows;
        return (user, new UserRows(valueRows, addressRows, groupRows, managerDisplay));
    }

    private DbCommand Bind(DbCommand command, Key key, Guid workspaceId, object lookup)
    {
        // Bound through the key properties' own type mappings (a Guid as the provider stores it).
        // The command's own parameter objects get the new values: Npgsql binds a prepared command to the parameter
        // instances it was prepared with, so replacing them would re-run the first read's values (another user's row).
        var ws = key.Workspace.GetRelationalTypeMapping().CreateParameter(command, sql.GenerateParameterName("ws"), workspaceId, nullable: false);
        var lookupParameter = key.Lookup.GetRelationalTypeMapping().CreateParameter(command, sql.GenerateParameterName("key"), lookup, nullable: false);
        if (command.Parameters.Count == 0)
        {
            command.Parameters.Add(ws);
            command.Parameters.Add(lookupParameter);
        }
        else
        {
            command.Parameters[0].Value = ws.Value;
            command.Parameters[1].Value = lookupParameter.Value;
        }

        return command;
    }

    /// <summary>The user's statement, then one per part asked for, in the order the reader reads them.</summary>
    private List<Statement> Statements(UserMapper.RowNeeds parts, bool forUpdate = false)
    {
        var statements = new List<Statement>(5) { forUpdate ? memberForUpdate : member };
        if (parts.Values)
        {
            statements.Add(values);
        }

        if (parts.Addresses)
        {
            statements.Add(addresses);
        }

        if (parts.Groups)
        {
            statements.Add(groups);
        }

        if (parts.Manager)
        {
            statements.Add(manager);
        }

        return statements;
    }

    private static IEntityType Entity<T>(IModel model) => model.FindEntityType(typeof(T))!;

    private static StoreObjectIdentifier Table(IEntityType entity) => StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());

    /// <summary>The properties stored in the entity's table, in a fixed order (the order of the SELECT list).</summary>
    internal static IProperty[] Stored(IEntityType entity) => [.. entity.GetProperties().Where(p => p.PropertyInfo is not null)];

    /// <summary>
    /// <c>reader => new T { P0 = read(0), P1 = read(1), … }</c>, each value read as the property's provider type and
    /// converted by its type mapping's converter (enums, for example), as EF materialises it.
    /// </summary>
    internal static Func<DbDataReader, T> Materializer<T>(IEntityType entity)
        where T : class
    {
        var reader = Expression.Parameter(typeof(DbDataReader), "reader");
        var instance = Expression.Variable(typeof(T), "entity");
        var body = new List<Expression> { Expression.Assign(instance, Expression.New(typeof(T))) };
        var ordinal = 0;
        foreach (var property in Stored(entity))
        {
            var index = Expression.Constant(ordinal++);
            var mapping = property.GetRelationalTypeMapping();
            var converter = mapping.Converter;
            var clrType = property.ClrType;
            var providerType = Nullable.GetUnderlyingType(converter?.ProviderClrType ?? clrType) ?? converter?.ProviderClrType ?? clrType;
            Expression value = Expression.Call(reader, GetFieldValue.MakeGenericMethod(providerType), index);
            if (converter is not null)
            {
                var fromProvider = converter.ConvertFromProviderExpression;
                value = Expression.Invoke(fromProvider, Expression.Convert(value, fromProvider.Parameters[0].Type));
            }

            value = Expression.Convert(value, clrType);
            if (property.IsNullable)
            {
                value = Expression.Condition(Expression.Call(reader, IsDbNull, index), Expression.Default(clrType), value);
            }

            body.Add(Expression.Assign(Expression.Property(instance, (PropertyInfo)property.PropertyInfo!), value));
        }

        body.Add(instance);
        return Expression.Lambda<Func<DbDataReader, T>>(Expression.Block([instance], body), reader).Compile();
    }

    private static readonly MethodInfo GetFieldValue = typeof(DbDataReader).GetMethod(nameof(DbDataReader.GetFieldValue), [typeof(int)])!;
    private static readonly MethodInfo IsDbNull = typeof(DbDataReader).GetMethod(nameof(DbDataReader.IsDBNull), [typeof(int)])!;
}
