using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IdeaScale.Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class ProvisioningEventsActorKindRetentionIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_ProvisioningEvents_OccurredAt",
                table: "ProvisioningEvents");

            migrationBuilder.CreateIndex(
                name: "IX_ProvisioningEvents_ActorKind_OccurredAt",
                table: "ProvisioningEvents",
                columns: new[] { "ActorKind", "OccurredAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_ProvisioningEvents_ActorKind_OccurredAt",
                table: "ProvisioningEvents");

            migrationBuilder.CreateIndex(
                name: "IX_ProvisioningEvents_OccurredAt",
                table: "ProvisioningEvents",
                column: "OccurredAt");
        }
    }
}
