using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;

using IdeaScale.Portal.Data.Interceptors;
using IdeaScale.Portal.Scim.Errors;

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace IdeaScale.Portal.Scim.Users;

/// <summary>
/// The write IdPs run most: a new user (POST /Users, every user of a first sync), as <see cref="UserMapper"/> mapped it
/// from the attribute registry, inserted with one prepared INSERT per table (the user, then each value and address
/// row) on a long-lived connection (<see cref="ReadSessions"/>) in one write transaction, without EF Core's change
/// tracker, SaveChanges pipeline and per-request connection. It stores exactly what SaveChanges stores
/// (UserWriterTests compares the rows column by column): the audit stamps the <see cref="AuditStampInterceptor"/> sets
/// on insert, and every column bound through its property's own type mapping. The SQL is generated from the EF model
/// (tables, columns, quoting, parameter syntax), so it follows the schema and the provider. A duplicate userName
/// (the unique index on the normalised column, also under concurrent creates) is 409 uniqueness, nothing written.
/// </summary>
public sealed class UserWriter
{
    /// <summary>Rows of one kind per INSERT (more are inserted by further INSERTs): few command texts, each prepared once per connection.</summary>
    internal const int MaxRowsPerStatement = 8;

    private readonly ReadSessions sessions;
    private readonly TimeProvider time;
    private readonly ISqlGenerationHelper sql;
    private readonly Table member;
    private readonly Table value;
    private readonly Table address;
    private readonly ConcurrentDictionary<(string Head, int Rows), Statement> statements = new();

    /// <summary>A table's INSERT up to its VALUES, and the properties bound for each row, in order.</summary>
    private sealed record Table(string Head, IProperty[] Columns);

    /// <summary>An INSERT of some rows: its text and its parameters' names, row after row.</summary>
    private sealed record Statement(string Text, string[] Names);

    public UserWriter(IDbContextFactory<PortalDbContext> contexts, ReadSessions sessions, TimeProvider time)
    {
        this.sessions = sessions;
        this.time = time;
        using var db = contexts.CreateDbContext();
        sql = db.GetService<ISqlGenerationHelper>();
        member = TableOf(db.Model.FindEntityType(typeof(WorkspaceMember))!);
        value = TableOf(db.Model.FindEntityType(typeof(MemberValue))!);
        address = TableOf(db.Model.FindEntityType(typeof(MemberAddress))!);
    }

    private Table TableOf(IEntityType entity)
    {
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        // Every stored property except a key the database generates (the rows' identity column).
        var columns = UserReader.Stored(entity)
            .Where(p => !(p.IsPrimaryKey() && p.ValueGenerated == ValueGenerated.OnAdd && p.ClrType != typeof(Guid)))
            .ToArray();
        return new Table(
            $"INSERT INTO {sql.DelimitIdentifier(entity.GetTableName()!, entity.GetSchema())} ({string.Join(", ", columns.Select(p => sql.DelimitIdentifier(p.GetColumnName(table)!)))}) VALUES ",
            columns);
    }

    /// <summary>Stamps and inserts a new user with its value and address rows; a duplicate userName is 409 with <paramref name="uniquenessDetail"/>.</summary>
    public async Task InsertAsync(WorkspaceMember user, string uniquenessDetail, CancellationToken ct)
    {
        // As the AuditStampInterceptor stamps an insert: whole microseconds (PostgreSQL's precision), version 1.
        var now = time.GetUtcNow().UtcDateTime;
        now = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
        user.NormalizedUserName = AuditStampInterceptor.Normalize(user.UserName);
        user.Created = now;
        user.LastModified = now;
        user.Version = 1;
        foreach (var row in user.Values)
        {
            row.MemberId = user.Id;
        }

        foreach (var row in user.Addresses)
        {
            row.MemberId = user.Id;
        }

        var session = await sessions.RentAsync(ct);
        try
        {
            await using (var transaction = session.BeginWrite())
            {
                await InsertAsync(session, transaction, member, [user], ct);
                await InsertAsync(session, transaction, value, user.Values, ct);
                await InsertAsync(session, transaction, address, user.Addresses, ct);
                await transaction.CommitAsync(ct);
            }
        }
        catch (DbException e) when (PortalDatabase.IsUniqueViolation(e))
        {
            sessions.Return(session);
            throw ScimException.Uniqueness(uniquenessDetail);
        }
        catch
        {
            session.Dispose();
            throw;
        }

        sessions.Return(session);
    }

    /// <summary>
    /// Inserts the rows, at most <see cref="MaxRowsPerStatement"/> per INSERT, each value bound through its property's
    /// type mapping (a Guid, a time or an enum as the provider stores it, as SaveChanges binds it). The command's own
    /// parameter objects get the new values: a prepared Npgsql command keeps the instances it was prepared with.
    /// </summary>
    private async Task InsertAsync<T>(ReadSessions.Session session, DbTransaction transaction, Table table, IReadOnlyList<T> rows, CancellationToken ct)
        where T : class
    {
        for (var start = 0; start < rows.Count; start += MaxRowsPerStatement)
        {
            var count = Math.Min(MaxRowsPerStatement, rows.Count - start);
            var statement = statements.GetOrAdd((table.Head, count), k => StatementFor(table, k.Rows));
            var command = session.Command(statement.Text, transaction);
            var first = command.Parameters.Count == 0;
            var index = 0;
            for (var r = start; r < start + count; r++)
            {
                foreach (var property in table.Columns)
                {
                    var parameter = property.GetRelationalTypeMapping()
                        .CreateParameter(command, statement.Names[index], property.GetGetter().GetClrValue(rows[r]), property.IsNullable);
                    if (first)
                    {
                        command.Parameters.Add(parameter);
                    }
                    else
                    {
                        command.Parameters[index].Value = parameter.Value;
                    }

                    index++;
                }
            }

            sessions.LogWrite(statement.Text);
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    private Statement StatementFor(Table table, int rows)
    {
        var names = new List<string>();
        var tuples = new List<string>();
        for (var r = 0; r < rows; r++)
        {
            var row = table.Columns.Select((_, c) => string.Create(CultureInfo.InvariantCulture, $"p{r * table.Columns.Length + c}")).ToList();
            names.AddRange(row.Select(sql.GenerateParameterName));
            tuples.Add("(" + string.Join(", ", row.Select(sql.GenerateParameterNamePlaceholder)) + ")");
        }

        return new Statement(table.Head + string.Join(", ", tuples), [.. names]);
    }
}
