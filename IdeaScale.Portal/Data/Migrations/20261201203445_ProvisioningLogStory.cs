using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IdeaScale.Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class ProvisioningLogStory : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "DisabledReason",
                table: "ScimSettings",
                type: "TEXT",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Details",
                table: "ProvisioningEvents",
                type: "TEXT",
                maxLength: 16000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Subject",
                table: "ProvisioningEvents",
                type: "TEXT",
                maxLength: 256,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_ProvisioningEvents_WorkspaceId_ResourceId_OccurredAt",
                table: "ProvisioningEvents",
                columns: new[] { "WorkspaceId", "ResourceId", "OccurredAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_ProvisioningEvents_WorkspaceId_ResourceId_OccurredAt",
                table: "ProvisioningEvents");

            migrationBuilder.DropColumn(
                name: "DisabledReason",
                table: "ScimSettings");

            migrationBuilder.DropColumn(
                name: "Details",
                table: "ProvisioningEvents");

            migrationBuilder.DropColumn(
                name: "Subject",
                table: "ProvisioningEvents");
        }
    }
}
