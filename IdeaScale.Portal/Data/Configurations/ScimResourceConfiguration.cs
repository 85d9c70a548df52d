using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IdeaScale.Portal.Data.Configurations;

internal sealed class WorkspaceMemberConfiguration : IEntityTypeConfiguration<WorkspaceMember>
{
    public void Configure(EntityTypeBuilder<WorkspaceMember> b)
    {
        b.Property(m => m.UserName).HasMaxLength(256);
        b.Property(m => m.NormalizedUserName).HasMaxLength(256);
        b.Property(m => m.ExternalId).HasMaxLength(256);
        b.Property(m => m.Version).IsConcurrencyToken();

        // userName is unique per workspace, case-insensitively, on every provider.
        b.HasIndex(m => new { m.WorkspaceId, m.NormalizedUserName }).IsUnique();
        b.HasIndex(m => new { m.WorkspaceId, m.ExternalId });
        // Stable list order (created, then id) served from the index.
        b.HasIndex(m => new { m.WorkspaceId, m.Created, m.Id });
        // The portal's members list sorts by display name or status without a temp B-tree (100,000 members).
        b.HasIndex(m => new { m.WorkspaceId, m.DisplayName, m.Id });
        b.HasIndex(m => new { m.WorkspaceId, m.Active, m.NormalizedUserName });
        b.HasIndex(m => m.ManagerId);

        b.HasOne(m => m.Workspace).WithMany().HasForeignKey(m => m.WorkspaceId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne(m => m.Manager).WithMany().HasForeignKey(m => m.ManagerId).OnDelete(DeleteBehavior.SetNull);
        b.HasMany(m => m.Values).WithOne().HasForeignKey(v => v.MemberId).OnDelete(DeleteBehavior.Cascade);
        b.HasMany(m => m.Addresses).WithOne().HasForeignKey(a => a.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class MemberValueConfiguration : IEntityTypeConfiguration<MemberValue>
{
    public void Configure(EntityTypeBuilder<MemberValue> b)
    {
        b.HasIndex(v => new { v.MemberId, v.Kind, v.Ordinal });
        b.HasIndex(v => new { v.Kind, v.Value });
    }
}

internal sealed class MemberAddressConfiguration : IEntityTypeConfiguration<MemberAddress>
{
    public void Configure(EntityTypeBuilder<MemberAddress> b) => b.HasIndex(a => new { a.MemberId, a.Ordinal });
}

internal sealed class WorkspaceGroupConfiguration : IEntityTypeConfiguration<WorkspaceGroup>
{
    public void Configure(EntityTypeBuilder<WorkspaceGroup> b)
    {
        b.Property(g => g.DisplayName).HasMaxLength(256);
        b.Property(g => g.NormalizedDisplayName).HasMaxLength(256);
        b.Property(g => g.ExternalId).HasMaxLength(256);
        b.Property(g => g.Version).IsConcurrencyToken();
        b.HasIndex(g => new { g.WorkspaceId, g.NormalizedDisplayName }).IsUnique();
        b.HasIndex(g => new { g.WorkspaceId, g.ExternalId });
        b.HasIndex(g => new { g.WorkspaceId, g.Created, g.Id });
        b.HasOne(g => g.Workspace).WithMany().HasForeignKey(g => g.WorkspaceId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class GroupMembershipConfiguration : IEntityTypeConfiguration<GroupMembership>
{
    public void Configure(EntityTypeBuilder<GroupMembership> b)
    {
        b.HasKey(m => new { m.GroupId, m.MemberId });
        b.HasIndex(m => m.MemberId);
        b.HasOne<WorkspaceGroup>().WithMany().HasForeignKey(m => m.GroupId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ProvisioningEventConfiguration : IEntityTypeConfiguration<ProvisioningEvent>
{
    public void Configure(EntityTypeBuilder<ProvisioningEvent> b)
    {
        b.Property(e => e.ActorKind).HasConversion<string>().HasMaxLength(32);
        b.Property(e => e.Operation).HasConversion<string>().HasMaxLength(32);
        b.Property(e => e.Outcome).HasConversion<string>().HasMaxLength(16);
        b.Property(e => e.Actor).HasMaxLength(256);
        b.Property(e => e.Method).HasMaxLength(16);
        b.Property(e => e.Path).HasMaxLength(1000);
        b.Property(e => e.ResourceType).HasMaxLength(32);
        b.Property(e => e.ResourceId).HasMaxLength(64);
        b.Property(e => e.ClientIp).HasMaxLength(64);
        b.Property(e => e.Summary).HasMaxLength(4000);
        b.Property(e => e.Subject).HasMaxLength(256);
        b.Property(e => e.Details).HasMaxLength(16000);
        b.HasIndex(e => new { e.WorkspaceId, e.OccurredAt });
        b.HasIndex(e => new { e.WorkspaceId, e.Operation, e.OccurredAt });
        // One member's or group's own history (the Members detail panel, the log's resource filter) is one range.
        b.HasIndex(e => new { e.WorkspaceId, e.ResourceId, e.OccurredAt });
        // Retention prunes IdP request rows and audit rows on separate schedules: each delete is one range of this
        // index. It replaces the former index on OccurredAt alone (used only by pruning), so a SCIM request's log
        // insert maintains four indexes (with the resource history one above).
        b.HasIndex(e => new { e.ActorKind, e.OccurredAt });
    }
}
