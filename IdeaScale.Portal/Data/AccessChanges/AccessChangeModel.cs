using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage;

namespace IdeaScale.Portal.Data.AccessChanges;

/// <summary>
/// The database's access version: one row whose value goes up by one in the same transaction as every committed
/// change to an entity type marked <see cref="AccessChangeModel.GuardsAccess{T}"/> (SCIM credentials, SCIM settings,
/// SSO configurations, workspaces; an OAuth client store marks its tables the same way). An app instance reads it once
/// per authenticated request (<see cref="AccessVersion.EnsureCurrentAsync"/>): a higher value than it last saw means
/// another instance changed access, and every cache of access facts is dropped before the request is authenticated.
/// </summary>
public sealed class AccessVersionRow
{
    public const int SingletonId = 1;

    public int Id { get; set; }
    public long Value { get; set; }
}

/// <summary>How the model says which tables guard access, and the version row's mapping.</summary>
public static class AccessChangeModel
{
    internal const string Annotation = "Portal:GuardsAccess";

    /// <summary>
    /// Marks an entity type whose rows decide who may call the app (credentials, switches, clients): every committed
    /// insert, update or delete of one bumps the access version, so every instance re-reads access facts on its next
    /// request. <see cref="AccessChangeInterceptor"/> finds the tables from this mark; nothing lists table names.
    /// </summary>
    public static EntityTypeBuilder<T> GuardsAccess<T>(this EntityTypeBuilder<T> builder)
        where T : class => builder.HasAnnotation(Annotation, true);

    internal static bool IsGuarded(IReadOnlyEntityType entityType) => entityType.FindAnnotation(Annotation)?.Value is true;

    /// <summary>The delimited table names of the guarded entity types of a model.</summary>
    internal static string[] GuardedTables(IModel model, ISqlGenerationHelper sql) =>
    [
        .. model.GetEntityTypes().Where(IsGuarded).Select(e => e.GetTableName()).OfType<string>().Distinct()
            .Select(t => sql.DelimitIdentifier(t)),
    ];
}

internal sealed class AccessVersionRowConfiguration : IEntityTypeConfiguration<AccessVersionRow>
{
    public void Configure(EntityTypeBuilder<AccessVersionRow> b)
    {
        b.ToTable("AccessVersion");
        b.Property(v => v.Id).ValueGeneratedNever();
        b.HasData(new AccessVersionRow { Id = AccessVersionRow.SingletonId, Value = 0 });
    }
}
