using Microsoft.Data.Sqlite;

namespace IdeaScale.Benchmarks.Reference;

/// <summary>
/// The reference server's database: one indexed table of users (emails inline), groups and membership rows.
/// It is filled directly from the app's database (same users, same ids, same groups), so both servers answer
/// over data of the same size and the same id/userName lists drive both.
/// </summary>
internal static class ReferenceStore
{
    /// <summary>The app's settings (Data/Interceptors/SqlitePragmaInterceptor.cs), run on every open as the app does.</summary>
    public const string ConnectionPragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;";

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS users (
            id TEXT NOT NULL UNIQUE,
            user_name TEXT NOT NULL,
            user_name_norm TEXT NOT NULL UNIQUE,
            external_id TEXT,
            active INTEGER NOT NULL,
            name_formatted TEXT,
            given_name TEXT,
            family_name TEXT,
            display_name TEXT,
            title TEXT,
            email TEXT,
            employee_number TEXT,
            department TEXT,
            created TEXT NOT NULL,
            last_modified TEXT NOT NULL,
            version INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS groups (
            id TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL,
            created TEXT NOT NULL,
            last_modified TEXT NOT NULL,
            version INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS group_members (
            group_id TEXT NOT NULL,
            member_id TEXT NOT NULL,
            PRIMARY KEY (group_id, member_id)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_group_members_member ON group_members (member_id);
        """;

    public static string ConnectionString(string path) =>
        new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();

    public static SqliteConnection Open(string connectionString)
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var pragmas = connection.CreateCommand();
        pragmas.CommandText = ConnectionPragmas;
        pragmas.ExecuteNonQuery();
        return connection;
    }

    public static void EnsureCreated(string path)
    {
        using var connection = Open(ConnectionString(path));
        using var command = connection.CreateCommand();
        command.CommandText = Schema;
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Copies the users, groups and memberships of one workspace of the app's database into the reference
    /// database: new users are added (ids lower-case, as the API shows them), groups and memberships are
    /// replaced. Returns the number of users in the reference afterwards.
    /// </summary>
    public static long ImportFromApp(string referencePath, string appDbPath, Guid workspaceId)
    {
        EnsureCreated(referencePath);
        // Not pooled: the attached database must not stay attached to a connection the server later reuses.
        using var connection = Open(new SqliteConnectionStringBuilder { DataSource = referencePath, Pooling = false }.ToString());
        using (var attach = connection.CreateCommand())
        {
            attach.CommandText = "ATTACH DATABASE $app AS app";
            attach.Parameters.AddWithValue("$app", appDbPath);
            attach.ExecuteNonQuery();
        }

        using var tx = connection.BeginTransaction();
        using (var copy = connection.CreateCommand())
        {
            copy.Transaction = tx;
            copy.CommandText = """
                INSERT OR IGNORE INTO users (id, user_name, user_name_norm, external_id, active, name_formatted, given_name,
                    family_name, display_name, title, email, employee_number, department, created, last_modified, version)
                SELECT lower(m.Id), m.UserName, m.NormalizedUserName, m.ExternalId, m.Active, m.NameFormatted, m.GivenName,
                    m.FamilyName, m.DisplayName, m.Title,
                    (SELECT v.Value FROM app.MemberValues v WHERE v.MemberId = m.Id AND v.Kind = 1 ORDER BY v."Primary" DESC, v.Ordinal LIMIT 1),
                    m.EmployeeNumber, m.Department, m.Created, m.LastModified, m.Version
                FROM app.Members m WHERE m.WorkspaceId = $ws ORDER BY m.Created, m.Id;
                DELETE FROM group_members;
                DELETE FROM groups;
                INSERT INTO groups (id, display_name, created, last_modified, version)
                SELECT lower(g.Id), g.DisplayName, g.Created, g.LastModified, g.Version FROM app.Groups g WHERE g.WorkspaceId = $ws;
                INSERT INTO group_members (group_id, member_id)
                SELECT lower(gm.GroupId), lower(gm.MemberId) FROM app.GroupMemberships gm WHERE gm.WorkspaceId = $ws;
                """;
            copy.Parameters.AddWithValue("$ws", workspaceId.ToString().ToUpperInvariant());
            copy.ExecuteNonQuery();
        }

        tx.Commit();
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM users";
        return (long)count.ExecuteScalar()!;
    }
}
