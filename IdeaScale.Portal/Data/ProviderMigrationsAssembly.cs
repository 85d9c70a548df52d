using System.Reflection;

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace IdeaScale.Portal.Data;

/// <summary>
/// One migration set per provider in this assembly: SQLite's in <c>Data/Migrations</c> (namespace
/// <see cref="SqliteNamespace"/>), PostgreSQL's in <c>Data/Migrations/PostgreSql</c> (<see cref="PostgreSqlNamespace"/>),
/// each with its own model snapshot. EF Core finds migrations by context type only, so it would mix both sets; this
/// replacement of <see cref="IMigrationsAssembly"/> picks the set of the provider the context runs on, at run time
/// and for <c>dotnet ef</c> alike (which set <c>migrations add</c> extends follows from <c>Database__Provider</c>).
/// </summary>
internal sealed class ProviderMigrationsAssembly : IMigrationsAssembly
{
    public const string SqliteNamespace = "IdeaScale.Portal.Data.Migrations";
    public const string PostgreSqlNamespace = "IdeaScale.Portal.Data.Migrations.PostgreSql";

    private readonly Lazy<IReadOnlyDictionary<string, TypeInfo>> migrations;
    private readonly Lazy<ModelSnapshot?> snapshot;
    private readonly IMigrationsIdGenerator idGenerator;

    public ProviderMigrationsAssembly(ICurrentDbContext currentContext, IDbContextOptions options, IMigrationsIdGenerator idGenerator)
    {
        this.idGenerator = idGenerator;
        var contextType = currentContext.Context.GetType();
        var ns = PortalDbContext.IsNpgsql(options) ? PostgreSqlNamespace : SqliteNamespace;
        var types = Assembly.GetTypes()
            .Where(t => t.Namespace == ns && !t.IsAbstract && t.GetCustomAttribute<DbContextAttribute>()?.ContextType == contextType)
            .Select(t => t.GetTypeInfo())
            .ToList();
        migrations = new(() => new SortedList<string, TypeInfo>(
            types.Where(t => t.IsSubclassOf(typeof(Migration)) && t.GetCustomAttribute<MigrationAttribute>() is not null)
                .ToDictionary(t => t.GetCustomAttribute<MigrationAttribute>()!.Id, t => t),
            StringComparer.Ordinal));
        snapshot = new(() => types.Where(t => t.IsSubclassOf(typeof(ModelSnapshot)))
            .Select(t => (ModelSnapshot)Activator.CreateInstance(t.AsType())!)
            .SingleOrDefault());
    }

    public IReadOnlyDictionary<string, TypeInfo> Migrations => migrations.Value;

    public ModelSnapshot? ModelSnapshot => snapshot.Value;

    public Assembly Assembly { get; } = typeof(PortalDbContext).Assembly;

    public string? FindMigrationId(string nameOrId) => Migrations.Keys
        .Where(idGenerator.IsValidId(nameOrId)
            ? id => string.Equals(id, nameOrId, StringComparison.OrdinalIgnoreCase)
            : id => string.Equals(idGenerator.GetName(id), nameOrId, StringComparison.OrdinalIgnoreCase))
        .FirstOrDefault();

    public Migration CreateMigration(TypeInfo migrationClass, string activeProvider)
    {
        var migration = (Migration)Activator.CreateInstance(migrationClass.AsType())!;
        migration.ActiveProvider = activeProvider;
        return migration;
    }
}
