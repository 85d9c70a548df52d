using IdeaScale.Portal.Tests.Infrastructure;

namespace IdeaScale.Portal.Tests.Scim;

/// <summary>
/// The SQL statements one SCIM write ran, from EF Core's command log: the request's own, without the background
/// writers' (provisioning log, last use) that may run at the same time.
/// </summary>
public static class WriteStatements
{
    public static async Task<(T Result, IReadOnlyList<string> Sql)> CaptureAsync<T>(ScimFactory factory, Func<Task<T>> request)
    {
        var mark = factory.Logs.Lines.Count;
        var result = await request();
        var sql = factory.SqlSince(mark)
            .Where(s => !s.Contains("\"ProvisioningEvents\"", StringComparison.Ordinal) && !s.Contains("\"ScimCredentials\"", StringComparison.Ordinal))
            .ToList();
        return (result, sql);
    }

    /// <summary>
    /// The row lock a write of one resource takes first on PostgreSQL (SELECT … FOR UPDATE, so concurrent writers queue);
    /// SQLite's write transaction needs none.
    /// </summary>
    public static int RowLock => PortalFactory.Provider == DatabaseProvider.PostgreSql ? 1 : 0;

    /// <summary>Asserts the number of statements, listing them when it differs.</summary>
    public static void AssertCount(int expected, IReadOnlyList<string> sql) =>
        Assert.True(sql.Count == expected, $"expected {expected} statements, ran {sql.Count}:\n" + string.Join("\n---\n", sql));
}
