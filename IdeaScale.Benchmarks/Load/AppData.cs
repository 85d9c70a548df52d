using System.Data.Common;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

using Microsoft.Data.Sqlite;

namespace IdeaScale.Benchmarks.Load;

/// <summary>
/// A look into the app's database (SQLite file or PostgreSQL database) through provider-neutral ADO.NET: which
/// users exist (for the wrk id/userName lists), counts, and the bulk insert of users beyond the provisioning window.
/// The two providers differ only in how an id or a time is stored (SQLite: upper-case text and
/// "yyyy-MM-dd HH:mm:ss.fffffff" text, as EF Core's SQLite provider writes them; PostgreSQL: uuid and timestamptz)
/// and in how a table's columns are listed.
/// </summary>
internal sealed class AppDatabase(BenchProvider provider, string connectionString)
{
    private bool IsPostgreSql => provider == BenchProvider.PostgreSql;

    public Guid WorkspaceId(string slug)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT \"Id\" FROM \"Workspaces\" WHERE \"Slug\" = @slug", ("@slug", slug));
        return ToGuid(command.ExecuteScalar());
    }

    /// <summary>The benchmark's users of the workspace in creation order: (id as the API shows it, userName).</summary>
    public List<(string Id, string UserName)> BenchUsers(Guid workspaceId)
    {
        using var connection = Open();
        using var command = Command(connection,
            "SELECT \"Id\", \"UserName\" FROM \"Members\" WHERE \"WorkspaceId\" = @ws AND \"UserName\" LIKE 'bench.user.%' ORDER BY \"Created\", \"Id\"",
            ("@ws", Id(workspaceId)));
        using var reader = command.ExecuteReader();
        var users = new List<(string, string)>();
        while (reader.Read())
        {
            users.Add((ToGuid(reader.GetValue(0)).ToString(), reader.GetString(1)));
        }

        return users;
    }

    public long CountMembers(Guid workspaceId)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT count(*) FROM \"Members\" WHERE \"WorkspaceId\" = @ws", ("@ws", Id(workspaceId)));
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public long CountGroupMembers(string groupId)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT count(*) FROM \"GroupMemberships\" WHERE \"GroupId\" = @g", ("@g", Id(Guid.Parse(groupId))));
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Inserts users straight into the app's database as clones of a user the API created (every column copied,
    /// the per-user ones replaced), with their work email, in one transaction. Set-based: the numbers and new ids
    /// go into a temporary table in one statement (SQLite: a recursive CTE with ids from randomblob, formatted as
    /// EF Core's SQLite provider stores a Guid; PostgreSQL: generate_series and gen_random_uuid), then one
    /// INSERT … SELECT per table clones the template for every number, in number (creation) order, so the rows lie
    /// in the table as API-created users do (appended as they are created). The secondary indexes of the two tables (those not backing a
    /// constraint: the primary keys stay) are dropped first and re-created from their own stored definitions
    /// (sqlite_master.sql, pg_indexes.indexdef) in the same transaction: a CREATE INDEX sorts once, where a million
    /// inserts into eight indexes (one of them keyed by member id, at random) cost more: 950,000 users into a
    /// 50,000-user SQLite database took 30 s of wall and 29 s of CPU this way against 46 s and 38 s with the indexes
    /// kept (and 150 s and 64 s in id order with the indexes kept and a 512 MB cache, the earlier code). A unique
    /// index re-created over a duplicate fails the transaction, so uniqueness is enforced as before. After the commit
    /// the indexes are compared with the definitions read before; any difference throws. On PostgreSQL the two
    /// tables are vacuumed and analysed afterwards, as autovacuum does within a minute of so many inserts (the app
    /// never analyses on SQLite, so neither does this): without the vacuum the visibility map is empty, and every
    /// index-only scan (the count of a list's first page) reads the heap of a million new rows. Used beyond the
    /// provisioning window (the scale phase) and when provisioning through the API does not reach the size within the
    /// time cap; the report says how many users came this way and what it cost.
    /// </summary>
    public BulkInsertResult BulkInsertUsers(Guid workspaceId, int firstNumber, int count)
    {
        if (count <= 0)
        {
            return new BulkInsertResult(0, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, 0, 0);
        }

        using var connection = Open();
        if (IsPostgreSql)
        {
            // Index builds on the one server core: parallel workers would only take turns on it (and their CPU time
            // would escape the backend's, which the report gives). The sort of a million keys fits in memory.
            using var settings = Command(connection, "SET max_parallel_maintenance_workers = 0; SET maintenance_work_mem = '512MB'; SET work_mem = '256MB'");
            settings.ExecuteNonQuery();
        }
        else
        {
            // A page cache that holds the tables' pages being written (default 2 MB, spilled into the WAL again and
            // again without), sorts and temporary tables in memory.
            using var pragma = Command(connection, "PRAGMA busy_timeout=30000; PRAGMA cache_size=-1048576; PRAGMA temp_store=MEMORY");
            pragma.ExecuteNonQuery();
        }

        var cpu = new DatabaseCpu(this, connection);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        object template;
        using (var pick = Command(connection,
            "SELECT \"Id\" FROM \"Members\" WHERE \"WorkspaceId\" = @ws AND \"UserName\" LIKE 'bench.user.%' ORDER BY \"Created\" LIMIT 1",
            ("@ws", Id(workspaceId))))
        {
            template = pick.ExecuteScalar() ?? throw new InvalidOperationException("No API-created user to clone.");
        }

        // Distinct, increasing creation times (1 µs apart, PostgreSQL's precision) after every existing user keep the
        // list order (Created, Id) the insertion order.
        var start = DateTime.UtcNow.AddSeconds(1);
        var startSeconds = new DateTimeOffset(start.AddTicks(-(start.Ticks % TimeSpan.TicksPerSecond))).ToUnixTimeSeconds();
        var number = IsPostgreSql ? "b.n::text" : "CAST(b.n AS TEXT)";
        var userName = $"'bench.user.' || {number} || '@bench.example'";
        var created = IsPostgreSql
            ? "to_timestamp(@start) + (b.n - @first) * interval '1 microsecond'"
            // "yyyy-MM-dd HH:mm:ss.fffffff", as EF Core's SQLite provider writes a DateTime.
            : "strftime('%Y-%m-%d %H:%M:%S', @start + (b.n - @first) / 1000000, 'unixepoch') || '.' || printf('%07d', ((b.n - @first) % 1000000) * 10)";
        var overrides = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Id"] = "b.id",
            ["UserName"] = userName,
            ["NormalizedUserName"] = $"upper({userName})",
            ["ExternalId"] = $"'ext-' || {number}",
            ["NameFormatted"] = $"'Bench User' || {number}",
            ["FamilyName"] = $"'User' || {number}",
            ["DisplayName"] = $"'Bench User' || {number}",
            ["EmployeeNumber"] = number,
            ["Created"] = created,
            ["LastModified"] = created,
            ["Version"] = "1",
        };
        var memberColumns = Columns(connection, "Members");
        var valueColumns = Columns(connection, "MemberValues").Where(c => c != "Id").ToList();
        var indexes = SecondaryIndexes(connection, null);
        using var tx = connection.BeginTransaction();
        foreach (var (name, _) in indexes)
        {
            Execute(connection, tx, $"DROP INDEX {Quote(name)}");
        }

        var numbers = IsPostgreSql
            ? "CREATE TEMP TABLE bench_numbers ON COMMIT DROP AS SELECT n, gen_random_uuid() AS id FROM generate_series(@first, @last) AS n"
            : "CREATE TEMP TABLE bench_numbers AS WITH RECURSIVE s(n) AS (SELECT @first UNION ALL SELECT n + 1 FROM s WHERE n < @last)"
              + " SELECT n, upper(substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-' || substr('89AB', 1 + (abs(random()) % 4), 1)"
              + " || substr(h, 18, 3) || '-' || substr(h, 21, 12)) AS id FROM (SELECT n, hex(randomblob(16)) AS h FROM s)";
        (string Name, object Value)[] parameters =
            [("@template", template), ("@first", (long)firstNumber), ("@last", (long)firstNumber + count - 1), ("@start", IsPostgreSql ? (double)startSeconds : startSeconds)];
        Execute(connection, tx, numbers, parameters);
        var inserted = Execute(connection, tx,
            $"INSERT INTO \"Members\" ({string.Join(", ", memberColumns.Select(Quote))}) SELECT "
            + string.Join(", ", memberColumns.Select(c => overrides.TryGetValue(c, out var v) ? v : "t." + Quote(c)))
            + " FROM bench_numbers AS b CROSS JOIN \"Members\" AS t WHERE t.\"Id\" = @template ORDER BY b.n", parameters);
        Execute(connection, tx,
            $"INSERT INTO \"MemberValues\" ({string.Join(", ", valueColumns.Select(Quote))}) SELECT "
            + string.Join(", ", valueColumns.Select(c => c switch { "MemberId" => "b.id", "Value" => userName, _ => "t." + Quote(c) }))
            + " FROM bench_numbers AS b CROSS JOIN \"MemberValues\" AS t WHERE t.\"MemberId\" = @template AND t.\"Kind\" = 1 ORDER BY b.n", parameters);
        if (!IsPostgreSql)
        {
            Execute(connection, tx, "DROP TABLE bench_numbers"); // PostgreSQL: ON COMMIT DROP
        }

        var rows = clock.Elapsed;
        foreach (var (_, definition) in indexes)
        {
            Execute(connection, tx, definition);
        }

        var indexBuild = clock.Elapsed - rows;
        tx.Commit();
        var after = SecondaryIndexes(connection, null);
        if (!after.SequenceEqual(indexes))
        {
            throw new InvalidOperationException("The bulk insert left the indexes of Members and MemberValues different from the migrations' definitions: before "
                + string.Join("; ", indexes.Select(i => i.Definition)) + "; after " + string.Join("; ", after.Select(i => i.Definition)));
        }

        if (IsPostgreSql)
        {
            Execute(connection, null, "VACUUM (ANALYZE) \"Members\", \"MemberValues\"");
        }

        return new BulkInsertResult(inserted, rows, indexBuild, clock.Elapsed, indexes.Count, cpu.Seconds());
    }

    /// <summary>
    /// The secondary indexes of Members and MemberValues as the database stores their definitions, by name: on
    /// SQLite those with SQL (an index without is a constraint's, such as the primary key's), on PostgreSQL those
    /// that back no constraint.
    /// </summary>
    public List<(string Name, string Definition)> SecondaryIndexes(DbConnection connection, DbTransaction? tx)
    {
        using var command = Command(connection, IsPostgreSql
            ? "SELECT i.indexname, i.indexdef FROM pg_indexes AS i WHERE i.schemaname = current_schema() AND i.tablename IN ('Members', 'MemberValues')"
              + " AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass) ORDER BY i.indexname"
            : "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('Members', 'MemberValues') AND sql IS NOT NULL ORDER BY name");
        command.Transaction = tx;
        using var reader = command.ExecuteReader();
        var indexes = new List<(string, string)>();
        while (reader.Read())
        {
            indexes.Add((reader.GetString(0), reader.GetString(1)));
        }

        return indexes;
    }

    private static int Execute(DbConnection connection, DbTransaction? tx, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, sql, [.. parameters.Where(p => sql.Contains(p.Name, StringComparison.Ordinal))]);
        command.Transaction = tx;
        command.CommandTimeout = 900;
        return command.ExecuteNonQuery();
    }

    /// <summary>
    /// The CPU time the database spends on one connection: SQLite runs in this process (its CPU time), PostgreSQL in
    /// the connection's backend process (/proc/&lt;pid&gt;/stat: the cluster runs on this machine, as bench.sh starts it).
    /// </summary>
    private sealed class DatabaseCpu
    {
        private readonly int? backend;
        private readonly double start;

        public DatabaseCpu(AppDatabase database, DbConnection connection)
        {
            if (database.IsPostgreSql)
            {
                using var pid = Command(connection, "SELECT pg_backend_pid()");
                backend = Convert.ToInt32(pid.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            }

            start = Now();
        }

        public double Seconds() => Now() - start;

        private double Now()
        {
            if (backend is not { } pid)
            {
                return System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
            }

            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / 100.0;
            }
            catch (IOException)
            {
                return double.NaN;
            }
        }
    }

    private DbConnection Open()
    {
        DbConnection connection = IsPostgreSql
            ? new Npgsql.NpgsqlConnection(connectionString)
            : new SqliteConnection(connectionString);
        connection.Open();
        return connection;
    }

    private static DbCommand Command(DbConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    /// <summary>An id as the provider stores it.</summary>
    private object Id(Guid id) => IsPostgreSql ? id : id.ToString().ToUpperInvariant();

    private static Guid ToGuid(object? value) => value switch
    {
        Guid g => g,
        string s => Guid.Parse(s),
        _ => throw new InvalidOperationException($"Not an id: {value}"),
    };

    private List<string> Columns(DbConnection connection, string table)
    {
        using var info = IsPostgreSql
            ? Command(connection, "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @t ORDER BY ordinal_position", ("@t", table))
            : Command(connection, "SELECT name FROM pragma_table_info(@t)", ("@t", table));
        using var reader = info.ExecuteReader();
        var columns = new List<string>();
        while (reader.Read())
        {
            columns.Add(reader.GetString(0));
        }

        return columns;
    }

    private static string Quote(string column) => $"\"{column}\"";

    public static void WriteList(string file, IEnumerable<(string Id, string UserName)> users) =>
        File.WriteAllLines(file, users.Select(u => $"{u.Id} {u.UserName}"));
}

/// <summary>
/// What a bulk insert did and cost: rows inserted, wall time of the row inserts, of the index builds and in all,
/// the number of indexes re-created, and the database's CPU time (SQLite: this process; PostgreSQL: the backend).
/// </summary>
internal sealed record BulkInsertResult(int Inserted, TimeSpan Rows, TimeSpan Indexes, TimeSpan Total, int IndexesRebuilt, double CpuSeconds)
{
    public string Describe() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{Inserted:N0} users in {Total.TotalSeconds:N1} s wall ({Rows.TotalSeconds:N1} s rows, {Indexes.TotalSeconds:N1} s re-creating {IndexesRebuilt} indexes), {CpuSeconds:N1} s of database CPU");
}

/// <summary>The few setup calls the benchmark makes through the app's own SCIM API (groups and their members).</summary>
internal sealed class ScimSetupClient : IDisposable
{
    private const string JsonMedia = "application/scim+json";
    private static readonly string[] GroupSchemas = ["urn:ietf:params:scim:schemas:core:2.0:Group"];
    private static readonly string[] PatchSchemas = ["urn:ietf:params:scim:api:messages:2.0:PatchOp"];
    private readonly HttpClient http;

    public ScimSetupClient(Uri serverBase, string token)
    {
        http = new HttpClient { BaseAddress = new Uri(serverBase, "scim/v2/"), Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public async Task<string> CreateGroupAsync(string displayName)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["schemas"] = GroupSchemas,
            ["displayName"] = displayName,
            ["members"] = Array.Empty<object>(),
        });
        using var response = await SendAsync(HttpMethod.Post, "Groups", body);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>Adds members in PATCH requests of <paramref name="batch"/> members (Entra sends several per PATCH).</summary>
    public async Task AddMembersAsync(string groupId, IEnumerable<string> memberIds, int batch = 500)
    {
        foreach (var chunk in memberIds.Chunk(batch))
        {
            var body = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["schemas"] = PatchSchemas,
                ["Operations"] = new[]
                {
                    new Dictionary<string, object>
                    {
                        ["op"] = "Add",
                        ["path"] = "members",
                        ["value"] = chunk.Select(id => new Dictionary<string, string?> { ["$ref"] = null, ["value"] = id }).ToArray(),
                    },
                },
            });
            using var response = await SendAsync(HttpMethod.Patch, $"Groups/{groupId}", body);
        }
    }

    /// <summary>GET and return the status code (a sanity check that an id list matches the server).</summary>
    public async Task<int> StatusOfAsync(string relative)
    {
        using var response = await http.GetAsync(new Uri(relative, UriKind.Relative));
        return (int)response.StatusCode;
    }

    public void Dispose() => http.Dispose();

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string relative, string body)
    {
        var request = new HttpRequestMessage(method, new Uri(relative, UriKind.Relative))
        {
            Content = new StringContent(body, Encoding.UTF8, JsonMedia),
        };
        var response = await http.SendAsync(request);
        request.Dispose();
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync();
            response.Dispose();
            throw new InvalidOperationException($"{method} {relative} answered {(int)response.StatusCode}: {text[..Math.Min(text.Length, 400)]}");
        }

        return response;
    }
}
