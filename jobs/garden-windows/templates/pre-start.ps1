# gdn (as deployed by BOSH) expects its depot directory to exist; it does not
# create it. The path is the "depot" option of config/config.ini.
New-Item -ItemType Directory -Force -Path C:\var\vcap\data\garden\depot | Out-Null
