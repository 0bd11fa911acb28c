//! DMARC aggregate reports as receivers send them: Google's (a zip in a
//! mail) and Outlook.com's (a gzip in a mail) published reports, a bare
//! XML report, the same gzip'd and zipped; and what is refused: a
//! compression bomb, a mail with no report, a file that is not one.

use std::io::Write;

use report::dmarc::{self, DmarcReadError};

const GOOGLE: &[u8] = include_bytes!("fixtures/dmarc/google-published.eml");
const MICROSOFT: &[u8] = include_bytes!("fixtures/dmarc/microsoft-published.eml");
const XML: &[u8] = include_bytes!("fixtures/dmarc/sample-reporter.xml");

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn zipped(name: &str, data: &[u8]) -> Vec<u8> {
    let mut archive = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    archive
        .start_file(name, zip::write::SimpleFileOptions::default())
        .unwrap();
    archive.write_all(data).unwrap();
    archive.finish().unwrap().into_inner()
}

#[test]
fn reports_google_and_microsoft_sent_are_read_and_summarised() {
    let google = dmarc::summarise(&dmarc::read(GOOGLE).expect("Google's report"));
    assert_eq!(google.organization, "google.com");
    assert_eq!(google.domain, "stalw.art");
    assert_eq!(google.begin, "2022-11-27T00:00:00Z");
    assert_eq!((google.messages, google.passed), (1, 1));
    assert_eq!(google.sources[0].source_ip, "2a01:4f9:c011:b43c::1");
    assert_eq!(google.sources[0].disposition, "none");

    let microsoft = dmarc::summarise(&dmarc::read(MICROSOFT).expect("Outlook.com's report"));
    assert_eq!(microsoft.organization, "Outlook.com");
    assert_eq!(microsoft.report_id, "725cbfbe133940149987cfc528387235");
    assert_eq!((microsoft.messages, microsoft.passed), (1, 0));
    let row = &microsoft.sources[0];
    assert_eq!(
        (row.source_ip.as_str(), row.dkim, row.spf),
        ("50.223.129.194", "fail", "fail")
    );
}

#[test]
fn bare_gzipped_and_zipped_xml_read_alike() {
    let plain = dmarc::summarise(&dmarc::read(XML).expect("XML"));
    assert_eq!(plain.organization, "Sample Reporter");
    assert_eq!(
        (plain.policy, plain.messages, plain.passed),
        ("quarantine", 123, 123)
    );
    let gz = dmarc::summarise(&dmarc::read(&gzip(XML)).expect(".xml.gz"));
    let zip = dmarc::summarise(&dmarc::read(&zipped("report.xml", XML)).expect(".zip"));
    assert_eq!(gz, plain);
    assert_eq!(zip, plain);
}

#[test]
fn bombs_and_non_reports_are_refused() {
    let bomb = gzip(&vec![b' '; dmarc::MAX_DMARC_REPORT_SIZE + 1]);
    assert!(bomb.len() < 1024 * 1024, "a small file");
    assert!(matches!(dmarc::read(&bomb), Err(DmarcReadError::TooLarge)));
    let zip_bomb = zipped("report.xml", &vec![b' '; dmarc::MAX_DMARC_REPORT_SIZE + 1]);
    assert!(matches!(
        dmarc::read(&zip_bomb),
        Err(DmarcReadError::TooLarge)
    ));
    let no_xml = zipped("notes.txt", XML);
    assert!(matches!(
        dmarc::read(&no_xml),
        Err(DmarcReadError::Compression(_))
    ));
    let mail =
        b"From: a@example.com\r\nTo: b@example.net\r\nSubject: hello\r\n\r\nNo report here.\r\n";
    assert!(dmarc::read(mail).is_err());
    let not_dmarc = b"<?xml version=\"1.0\"?><html><body>hello</body></html>";
    assert!(matches!(
        dmarc::read(not_dmarc),
        Err(DmarcReadError::NotAReport(_))
    ));
}
