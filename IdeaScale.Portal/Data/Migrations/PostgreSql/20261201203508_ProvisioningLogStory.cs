using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IdeaScale.Portal.Data.Migrations.PostgreSql
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
                type: "character varying(500)",
                maxLength: 500,
                nullable: true,
                collation: "C");

            migrationBuilder.AddColumn<string>(
                name: "Details",
                table: "ProvisioningEvents",
                type: "character varying(16000)",
                maxLength: 16000,
                nullable: true,
                collation: "C");

            migrationBuilder.AddColumn<string>(
                name: "Subject",
                table: "ProvisioningEvents",
                type: "character varying(256)",
                maxLength: 256,
                nullable: true,
                collation: "C");

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
